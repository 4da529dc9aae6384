# error: 10:7: header = "X-Canary" is not a lowercase HTTP header name
# error: 13:5: header_route appears more than once
service "svc" {
  canary "c" {
    step {
      weight = 5
      bake   = "30s"
    }
    header_route {
      header = "X-Canary"
      value  = "true"
    }
    header_route {
      header = "x-canary"
      value  = "true"
    }
  }
}
