# error: 8:7: sensitivity >= 0.9 decides on a point estimate; gates decide on confidence bounds; write sensitivity.lower >= 0.9
# error: 9:7: specificity.estimate >= 0.85 decides on a point estimate; gates decide on confidence bounds; write specificity.lower >= 0.85
service "svc" {
  clinical_validation "v" {
    dataset   = "golden.csv"
    min_cases = 100
    require = [
      sensitivity >= 0.9,
      specificity.estimate >= 0.85,
    ]
  }
}
