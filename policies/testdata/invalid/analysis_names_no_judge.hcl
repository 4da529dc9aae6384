# error: 8:19: analysis names "error_rate", which is not a judge of service "svc"; did you mean "error-rate"?
service "svc" {
  canary "c" {
    step {
      weight   = 5
      bake     = "30s"
      confirm  = false
      analysis = ["error_rate"]
    }
  }
  judge "error-rate" {
    method      = "fisher"
    events      = "e"
    trials      = "t"
    direction   = "increase"
    min_samples = 100
  }
}
