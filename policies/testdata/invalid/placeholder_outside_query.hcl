# error: 7:14: ${service} is a query placeholder, not a value
# error: 14:7: header uses a query placeholder (through a local)
locals {
  pinned = "x-${version}"
}
service "svc" {
  baseline = service
  canary "c" {
    step {
      weight = 5
      bake   = "30s"
    }
    header_route {
      header = local.pinned
      value  = "1"
    }
  }
}
