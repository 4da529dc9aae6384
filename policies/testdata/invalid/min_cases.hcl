# error: 6:5: min_cases = 0 is not a whole number of at least 1
# error: 9:3: clinical_validation "w": missing required argument min_cases
service "svc" {
  clinical_validation "v" {
    dataset   = "golden.csv"
    min_cases = 0
    require   = [sensitivity.lower >= 0.9]
  }
  clinical_validation "w" {
    dataset = "golden.csv"
    require = [sensitivity.lower >= 0.9]
  }
}
