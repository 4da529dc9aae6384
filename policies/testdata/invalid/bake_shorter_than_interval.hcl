# error: 7:7: bake = "2s" is shorter than evaluation_interval "5s"; use at least 5s
service "svc" {
  evaluation_interval = "5s"
  canary "c" {
    step {
      weight = 5
      bake   = "2s"
    }
  }
}
