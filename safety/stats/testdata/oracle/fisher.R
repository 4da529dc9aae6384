# Reference values for Fisher's exact test.
# Run: Rscript safety/stats/testdata/oracle/fisher.R
# Table rows: canary (events, non-events), baseline (events, non-events);
# "greater" means the canary's event odds are higher.
options(digits = 15)
f <- function(v) sprintf("%.12g", v)
cases <- list(c(3, 4, 1, 4), c(12, 1000, 5, 1000), c(5, 1000, 0, 1000), c(0, 10, 4, 10),
              c(10, 10, 0, 10), c(1, 1, 0, 1), c(2, 500, 2, 500), c(30, 200, 10, 200),
              c(7, 12, 2, 15), c(500, 100000, 430, 100000), c(1, 3, 1, 3))
for (cs in cases) {
  a <- cs[1]; n1 <- cs[2]; c <- cs[3]; n2 <- cs[4]
  tab <- matrix(c(a, c, n1 - a, n2 - c), 2)
  call <- sprintf("fisher.test(matrix(c(%d, %d, %d, %d), 2), alternative = ...)$p.value", a, c, n1 - a, n2 - c)
  cat(sprintf("{canary: ArmCounts{%d, %d}, baseline: ArmCounts{%d, %d}, two: %s, greater: %s, less: %s}, // %s\n",
              a, n1, c, n2, f(fisher.test(tab)$p.value), f(fisher.test(tab, alternative = "greater")$p.value),
              f(fisher.test(tab, alternative = "less")$p.value), call))
}
