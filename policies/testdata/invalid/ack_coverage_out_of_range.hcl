# error: 5:5: ack_coverage = 0 is outside (0, 1]
# error: 12:5: ack_coverage = 1.5 is outside (0, 1]
service "svc" {
  canary "c" {
    ack_coverage = 0
    step {
      weight = 5
      bake   = "30s"
    }
  }
  blue_green "b" {
    ack_coverage = 1.5
  }
}
