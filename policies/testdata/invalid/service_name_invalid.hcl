# error: 2:9: "Breast_Cancer" is not a valid service name
service "Breast_Cancer" {
}
