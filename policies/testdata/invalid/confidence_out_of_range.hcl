# error: 8:5: confidence = 1 is outside (0, 1)
# error: 13:5: confidence = 0 is outside (0, 1)
service "svc" {
  judge "j" {
    method      = "fisher"
    events      = "e"
    trials      = "t"
    confidence  = 1
    direction   = "increase"
    min_samples = 100
  }
  clinical_validation "v" {
    confidence = 0
    dataset    = "golden.csv"
    min_cases  = 10
    require    = [sensitivity.lower >= 0.9]
  }
}
