# error: 10:7: unknown metric "sensitivty"; did you mean "sensitivity"?
# error: 11:19: noninferior does not compare AUCs; write auc_noninferior(margin)
# error: 12:19: ppv is not a paired proportion
service "svc" {
  clinical_validation "v" {
    dataset   = "golden.csv"
    min_cases = 100
    against   = "current"
    require = [
      sensitivty.lower >= 0.9,
      noninferior(auc, 0.02),
      noninferior(ppv, 0.02),
    ]
  }
}
