# Reference values for DeLong's AUC variance and paired test, and export of pROC's aSAH data.
# Run from the repository root: Rscript safety/stats/testdata/oracle/delong.R
# Writes safety/stats/testdata/asah.csv (columns: outcome, wfns, s100b; outcome "Poor" is positive).
suppressMessages(library(pROC))
options(digits = 15)
f <- function(v) sprintf("%.12g", v)
data(aSAH)
out <- data.frame(outcome = as.character(aSAH$outcome), wfns = as.integer(as.character(aSAH$wfns)), s100b = aSAH$s100b)
write.csv(out, "safety/stats/testdata/asah.csv", row.names = FALSE, quote = FALSE)
cat(sprintf("// pROC %s, R %s\n", packageVersion("pROC"), getRversion()))
r1 <- roc(aSAH$outcome, as.numeric(as.character(aSAH$wfns)), levels = c("Good", "Poor"), direction = "<", quiet = TRUE)
r2 <- roc(aSAH$outcome, aSAH$s100b, levels = c("Good", "Poor"), direction = "<", quiet = TRUE)
t <- roc.test(r1, r2, method = "delong", paired = TRUE)
cat(sprintf("// roc.test(roc(outcome, wfns), roc(outcome, s100b), method = \"delong\"): Z = %s, p = %s, AUCs %s %s\n",
            f(unname(t$statistic)), f(t$p.value), f(auc(r1)), f(auc(r2))))
cat(sprintf("// var(roc(outcome, wfns), method = \"delong\") = %s; var(roc(outcome, s100b)) = %s; cov(r1, r2, method = \"delong\") = %s\n",
            f(var(r1, method = "delong")), f(var(r2, method = "delong")), f(cov(r1, r2, method = "delong"))))
ci1 <- ci.auc(r1, method = "delong", conf.level = 0.95)
ci2 <- ci.auc(r2, method = "delong", conf.level = 0.95)
cat(sprintf("// ci.auc(r1, method = \"delong\") = [%s, %s]; ci.auc(r2, method = \"delong\") = [%s, %s]\n", f(ci1[1]), f(ci1[3]), f(ci2[1]), f(ci2[3])))
ci90 <- ci.auc(r2, method = "delong", conf.level = 0.90)
cat(sprintf("// ci.auc(r2, method = \"delong\", conf.level = 0.90) = [%s, %s]\n", f(ci90[1]), f(ci90[3])))
# Difference interval as pROC computes it for paired DeLong (roc.test conf.int):
cat(sprintf("// roc.test(...)$conf.int = [%s, %s] (for AUC(wfns) - AUC(s100b))\n", f(t$conf.int[1]), f(t$conf.int[2])))
# A small tied example: scores with ties across classes.
lab <- c(1, 1, 1, 1, 0, 0, 0, 0, 0, 1)
sa <- c(0.9, 0.8, 0.8, 0.3, 0.3, 0.2, 0.8, 0.1, 0.4, 0.6)
sb <- c(0.7, 0.7, 0.9, 0.2, 0.5, 0.2, 0.6, 0.3, 0.1, 0.6)
ra <- roc(lab, sa, levels = c(0, 1), direction = "<", quiet = TRUE)
rb <- roc(lab, sb, levels = c(0, 1), direction = "<", quiet = TRUE)
tt <- roc.test(ra, rb, method = "delong", paired = TRUE)
cat(sprintf("// tied example: roc.test(roc(lab, sa), roc(lab, sb), method = \"delong\"): Z = %s, p = %s, AUCs %s %s, var %s %s\n",
            f(unname(tt$statistic)), f(tt$p.value), f(auc(ra)), f(auc(rb)), f(var(ra, method = "delong")), f(var(rb, method = "delong"))))
