# error: 10:5: dataset = "http://data.example/golden.csv" is not an https URL
# error: 11:5: dataset_sha256 = "abc" is not a SHA-256 in hex
# error: 12:5: against = "previous" is neither "current", "none" nor a version
# error: 14:5: min_subgroup_cases is set but there are no subgroups
# error: 15:5: unknown interval "wald"
# error: 16:5: concurrency = 0 is not a whole number from 1 to 256
# error: 21:5: dataset = "/srv/golden.csv" is not a relative path
service "svc" {
  clinical_validation "v" {
    dataset            = "http://data.example/golden.csv"
    dataset_sha256     = "abc"
    against            = "previous"
    min_cases          = 100
    min_subgroup_cases = 20
    interval           = "wald"
    concurrency        = 0
    require            = [sensitivity.lower >= 0.9]
  }
  clinical_validation "w" {
    min_cases = 100
    dataset   = "/srv/golden.csv"
    require   = [sensitivity.lower >= 0.9]
  }
}
