# Reference values for the McNemar variants.
# Run: Rscript safety/stats/testdata/oracle/mcnemar.R
# b = current right / candidate wrong, c = current wrong / candidate right.
# Asymptotic: mcnemar.test(..., correct = FALSE) gives chi2 = z^2; z is signed (b - c)/sqrt(b + c).
# Corrected: mcnemar.test(..., correct = TRUE) (b != c only: R does not clamp |b - c| - 1 at 0).
# Exact: binom.test(b, b + c)$p.value.  Mid-p: 2 * pbinom(min(b, c), b + c, 0.5) - dbinom(min(b, c), b + c, 0.5).
options(digits = 15)
f <- function(v) sprintf("%.12g", v)
cases <- list(c(6, 16), c(86, 150), c(300, 303), c(0, 5), c(5, 0), c(0, 1), c(1, 0),
              c(3, 3), c(12, 12), c(100, 60), c(24, 0), c(5000, 5100), c(1, 24), c(20, 5))
for (cs in cases) {
  b <- cs[1]; c <- cs[2]
  tab <- matrix(c(50, c, b, 50), 2, 2)  # off-diagonals: tab[1,2] = b, tab[2,1] = c
  z <- (b - c) / sqrt(b + c)
  pz <- mcnemar.test(tab, correct = FALSE)$p.value
  cc <- if (b != c) mcnemar.test(tab, correct = TRUE) else list(statistic = 0, p.value = 1)
  ex <- binom.test(b, b + c)$p.value
  k <- min(b, c)
  mid <- 2 * pbinom(k, b + c, 0.5) - dbinom(k, b + c, 0.5)
  cat(sprintf("{b: %d, c: %d, z: %s, pZ: %s, chi2CC: %s, pCC: %s, pExact: %s, pMid: %s}, // mcnemar.test(matrix(c(50, %d, %d, 50), 2), correct = FALSE / TRUE); binom.test(%d, %d); 2*pbinom(%d, %d, .5) - dbinom(%d, %d, .5)\n",
              b, c, f(z), f(pz), f(unname(cc$statistic)), f(cc$p.value), f(ex), f(mid), c, b, b, b + c, k, b + c, k, b + c))
}
