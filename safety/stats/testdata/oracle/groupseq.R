# Reference boundaries for Lan-DeMets alpha-spending group-sequential designs.
# Run: Rscript safety/stats/testdata/oracle/groupseq.R   (Debian r-cran-rpact)
suppressMessages(library(rpact))
f <- function(v) sprintf("%.10g", v)
g <- function(v) paste0("[]float64{", paste(sprintf("%.10g", v), collapse = ", "), "}")
cat(sprintf("// rpact %s\n", packageVersion("rpact")))
designs <- list(
  list(type = "asOF", alpha = 0.05, sided = 2, t = c(.2, .4, .6, .8, 1)),
  list(type = "asP", alpha = 0.05, sided = 2, t = c(.2, .4, .6, .8, 1)),
  list(type = "asOF", alpha = 0.025, sided = 1, t = c(1/3, 2/3, 1)),
  list(type = "asP", alpha = 0.025, sided = 1, t = c(1/3, 2/3, 1)),
  list(type = "asOF", alpha = 0.025, sided = 1, t = c(.1, .25, .5, .9, 1)),
  list(type = "asP", alpha = 0.01, sided = 2, t = c(.3, .5, 1)),
  list(type = "asOF", alpha = 0.05, sided = 1, t = c(.5, 1)),
  list(type = "asOF", alpha = 0.05, sided = 2, t = c(1))
)
for (d in designs) {
  x <- getDesignGroupSequential(typeOfDesign = d$type, kMax = length(d$t), alpha = d$alpha,
                                sided = d$sided, informationRates = d$t)
  sp <- if (d$type == "asOF") "OBrienFlemingSpending" else "PocockSpending"
  cat(sprintf("{design: GroupSequentialDesign{Alpha: %s, Sides: %d, Spending: %s, InformationFractions: %s}, critical: %s}, // getDesignGroupSequential(typeOfDesign = \"%s\", kMax = %d, alpha = %s, sided = %d, informationRates = c(%s))$criticalValues\n",
              d$alpha, d$sided, sp, g(d$t), g(x$criticalValues), d$type, length(d$t), d$alpha, d$sided,
              paste(sprintf("%.10g", d$t), collapse = ", ")))
}
