# Reference values for Wilson and Clopper-Pearson intervals.
# Run: Rscript safety/stats/testdata/oracle/binomial.R
# Prints Go table rows for interval_test.go; each row names the R call.
options(digits = 15)
cases <- list(
  c(45, 50, 0.95), c(81, 263, 0.95), c(0, 10, 0.95), c(10, 10, 0.95),
  c(0, 1, 0.95), c(1, 1, 0.95), c(1, 2, 0.90), c(7, 1000, 0.99),
  c(999, 1000, 0.95), c(50, 100, 0.80), c(3, 7, 0.999), c(0, 5000, 0.95)
)
f <- function(v) sprintf("%.12g", v)
cat("// Wilson: prop.test(x, n, conf.level = level, correct = FALSE)$conf.int\n")
for (cs in cases) {
  x <- cs[1]; n <- cs[2]; lv <- cs[3]
  ci <- suppressWarnings(prop.test(x, n, conf.level = lv, correct = FALSE)$conf.int)
  cat(sprintf("{x: %d, n: %d, level: %s, lower: %s, upper: %s}, // prop.test(%d, %d, conf.level = %s, correct = FALSE)$conf.int\n",
              x, n, lv, f(ci[1]), f(ci[2]), x, n, lv))
}
cat("// Clopper-Pearson: binom.test(x, n, conf.level = level)$conf.int\n")
for (cs in cases) {
  x <- cs[1]; n <- cs[2]; lv <- cs[3]
  ci <- binom.test(x, n, conf.level = lv)$conf.int
  cat(sprintf("{x: %d, n: %d, level: %s, lower: %s, upper: %s}, // binom.test(%d, %d, conf.level = %s)$conf.int\n",
              x, n, lv, f(ci[1]), f(ci[2]), x, n, lv))
}
