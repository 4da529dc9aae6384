# Reference values for the Hodges-Lehmann shift (canary - baseline) and its
# distribution-free interval (Moses/Bauer: order statistics of the pairwise
# differences at a quantile of U).
# Run: Rscript safety/stats/testdata/oracle/hodgeslehmann.R
# Untied arms under 50: wilcox.test(canary, baseline, conf.int = TRUE, exact = TRUE)
# (R's exact interval is exactly this construction). Ties or larger arms: by hand,
# k = ceiling(m n / 2 - 1/2 - qnorm(1 - alpha/2) * sigma) with the tie-corrected sigma,
# interval c(D[k], D[m n + 1 - k]) of the sorted differences D, estimate median(D).
# (R's own normal-approximation interval inverts the statistic with uniroot instead.)
options(digits = 15)
f <- function(v) sprintf("%.12g", v)
g <- function(v) paste0("[]float64{", paste(sprintf("%.10g", v), collapse = ", "), "}")
by_hand <- function(b, c, level) {
  m <- length(c); n <- length(b); N <- m + n
  D <- sort(as.vector(outer(c, b, "-")))
  t <- table(c(b, c))
  sigma <- sqrt(m * n / 12 * ((N + 1) - sum(t^3 - t) / (N * (N - 1))))
  k <- ceiling(m * n / 2 - 0.5 - qnorm(1 - (1 - level) / 2) * sigma)
  c(D[k], median(D), D[m * n + 1 - k])
}
set.seed(20240611)
big_b <- round(rlnorm(60, log(100), 0.3), 1)
big_c <- round(rlnorm(70, log(108), 0.3), 1)
exact_cases <- list(
  list(b = c(20, 11, 17, 12), c = c(19, 22, 16, 29, 24), level = 0.80),
  list(b = c(1.15, .88, .90, .74, 1.21), c = c(.80, .83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, .73, 1.46), level = 0.95),
  list(b = c(3.1, 4.7, 2.2, 5.5, 1.9, 4.4), c = c(9.9, 8.1, 7.5, 6.0, 5.1, 7.7, 6.6), level = 0.98)
)
for (cs in exact_cases) {
  w <- wilcox.test(cs$c, cs$b, conf.int = TRUE, exact = TRUE, conf.level = cs$level)
  cat(sprintf("{baseline: %s, canary: %s, level: %s, lower: %s, est: %s, upper: %s, method: \"hodges-lehmann-exact\"}, // wilcox.test(canary, baseline, conf.int = TRUE, exact = TRUE, conf.level = %s)\n",
              g(cs$b), g(cs$c), cs$level, f(w$conf.int[1]), f(unname(w$estimate)), f(w$conf.int[2]), cs$level))
}
normal_cases <- list(
  list(b = c(1, 2, 2, 3, 3, 3, 4), c = c(2, 3, 3, 4, 4, 5, 5, 5), level = 0.90),
  list(b = c(0, 0, 0, 0, 0, 0, 1, 0, 2, 0), c = c(0, 0, 1, 2, 0, 3, 1, 0, 4, 1), level = 0.80),
  list(b = big_b, c = big_c, level = 0.98)
)
for (cs in normal_cases) {
  r <- by_hand(cs$b, cs$c, cs$level)
  cat(sprintf("{baseline: %s, canary: %s, level: %s, lower: %s, est: %s, upper: %s, method: \"hodges-lehmann-normal\"}, // hodgeslehmann.R by_hand(baseline, canary, %s)\n",
              g(cs$b), g(cs$c), cs$level, f(r[1]), f(r[2]), f(r[3]), cs$level))
}
