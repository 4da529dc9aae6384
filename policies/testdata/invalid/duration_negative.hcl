# error: 3:3: evaluation_interval = "-1s" is negative
service "svc" {
  evaluation_interval = "-1s"
}
