# Reference values for the Mann-Whitney U test (wilcox.test, two samples).
# Run: Rscript safety/stats/testdata/oracle/mannwhitney.R
# wilcox.test(x = canary, y = baseline): W is the canary's U; "greater" = canary larger.
options(digits = 15)
f <- function(v) sprintf("%.12g", v)
g <- function(v) paste0("[]float64{", paste(sprintf("%.10g", v), collapse = ", "), "}")
cases <- list(
  list(b = c(20, 11, 17, 12), c = c(19, 22, 16, 29, 24)),                          # scipy mannwhitneyu docs
  list(b = c(1.15, .88, .90, .74, 1.21), c = c(.80, .83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, .73, 1.46)), # R ?wilcox.test
  list(b = c(1, 2, 2, 3, 3, 3, 4), c = c(2, 3, 3, 4, 4, 5, 5, 5)),                 # heavy ties
  list(b = c(0, 0, 0, 0, 0, 0, 1), c = c(0, 0, 1, 2, 0, 3, 1, 0)),                 # zero-inflated
  list(b = c(5), c = c(7)),                                                        # n = 1 each
  list(b = c(3.1, 4.7, 2.2), c = c(9.9, 8.1, 7.5, 6.0))
)
for (cs in cases) {
  for (alt in c("two.sided", "greater", "less")) {
    ex <- !any(duplicated(c(cs$b, cs$c)))
    w <- suppressWarnings(wilcox.test(cs$c, cs$b, alternative = alt, exact = FALSE, correct = TRUE))
    w0 <- suppressWarnings(wilcox.test(cs$c, cs$b, alternative = alt, exact = FALSE, correct = FALSE))
    pe <- if (ex) f(wilcox.test(cs$c, cs$b, alternative = alt, exact = TRUE)$p.value) else "math.NaN()"
    cat(sprintf("{baseline: %s, canary: %s, alt: %s, u: %s, pNormal: %s, pNoCC: %s, pExact: %s}, // wilcox.test(canary, baseline, alternative = \"%s\", exact = FALSE, correct = TRUE / FALSE) and exact = TRUE\n",
                g(cs$b), g(cs$c), c(two.sided = "TwoSided", greater = "Greater", less = "Less")[[alt]],
                f(unname(w$statistic)), f(w$p.value), f(w0$p.value), pe, alt))
  }
}
