# error: 4:3: judge "rates": missing required argument trials
# error: 10:3: judge "latency": missing required argument samples
service "svc" {
  judge "rates" {
    method      = "farrington_manning"
    events      = "sum(increase(inference_requests_total{outcome=\"error\"}[${interval}]))"
    direction   = "increase"
    min_samples = 100
  }
  judge "latency" {
    method      = "mann_whitney"
    direction   = "increase"
    min_samples = 20
  }
}
