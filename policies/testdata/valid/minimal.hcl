# The smallest useful policy: one canary step and one trigger; everything else defaults.
service "svc" {
  canary "c" {
    step {
      weight = 10
      bake   = "1m"
    }
  }

  trigger "errors" {
    category  = "performance_degradation"
    query     = "sum(rate(inference_requests_total{service=\"${service}\",version=\"${version}\",outcome=\"error\"}[1m]))"
    condition = "above"
    threshold = 0.1
    action    = "rollback_immediately"
  }

  judge "fm" {
    method      = "farrington_manning"
    events      = "e"
    trials      = "t"
    direction   = "increase"
    min_samples = 100
  }

  judge "mw" {
    method      = "mann_whitney"
    samples     = "s"
    direction   = "decrease"
    min_samples = 10
  }

  blue_green "bg" {
  }

  clinical_validation "bounds-only" {
    dataset   = "https://data.example/golden.csv"
    min_cases = 50
    require   = [specificity.lower >= 0.8]
  }
}
