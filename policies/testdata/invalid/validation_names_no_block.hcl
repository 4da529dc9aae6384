# error: 4:5: validation = "golden" names no clinical_validation block of service "svc"
service "svc" {
  blue_green "b" {
    validation = "golden"
  }
}
