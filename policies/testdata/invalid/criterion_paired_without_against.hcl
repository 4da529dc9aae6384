# error: 10:7: noninferior(sensitivity, 0.05) compares with another version, but against = "none"
# error: 17:7: auc_noninferior(0.02) compares with another version, but against is not set
service "svc" {
  clinical_validation "v" {
    dataset   = "golden.csv"
    min_cases = 100
    against   = "none"
    require = [
      sensitivity.lower >= 0.9,
      noninferior(sensitivity, 0.05),
    ]
  }
  clinical_validation "w" {
    dataset   = "golden.csv"
    min_cases = 100
    require = [
      auc_noninferior(0.02),
    ]
  }
}
