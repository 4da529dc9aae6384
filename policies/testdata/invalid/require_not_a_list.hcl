# error: 7:5: require must be a list of criteria
# error: 12:5: require is empty
service "svc" {
  clinical_validation "v" {
    dataset   = "golden.csv"
    min_cases = 100
    require   = "sensitivity.lower >= 0.9"
  }
  clinical_validation "w" {
    dataset   = "golden.csv"
    min_cases = 100
    require   = []
  }
}
