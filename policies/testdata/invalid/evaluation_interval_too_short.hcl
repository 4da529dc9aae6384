# error: 3:3: evaluation_interval = "500ms" is shorter than the minimum 1s
service "svc" {
  evaluation_interval = "500ms"
}
