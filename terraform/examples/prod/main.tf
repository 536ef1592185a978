# Production: three AZs with a NAT gateway each, on-demand GPUs, a private API endpoint by default, state in S3.
terraform {
  # Partial configuration: terraform init -backend-config=backend.hcl (bucket, key, region, dynamodb_table).
  backend "s3" {}
}

module "video_quality" {
  source = "../../modules/video-quality-eks"

  name               = "vq-${var.environment}"
  region             = var.region
  availability_zones = ["${var.region}a", "${var.region}b", "${var.region}c"]
  vpc_cidr           = "10.50.0.0/16"
  single_nat_gateway = false

  kubernetes_version           = "1.32"
  endpoint_public_access_cidrs = var.endpoint_public_access_cidrs
  cluster_admin_arns           = var.cluster_admin_arns

  cpu_node_instance_types = ["m6i.xlarge"]
  cpu_node_min_size       = 3
  cpu_node_desired_size   = 3
  cpu_node_max_size       = 9

  # One GPU per node; values-prod.yaml asks for 3 detector + 2 enhancer pods at minimum.
  gpu_node_instance_types = ["g6.2xlarge"]
  gpu_capacity_type       = "ON_DEMAND"
  gpu_node_min_size       = 5
  gpu_node_desired_size   = 5
  gpu_node_max_size       = 32
  gpu_node_disk_size      = 150

  app_namespace            = "videoquality"
  app_service_account      = "vq-video-quality"
  github_repository        = var.github_repository
  github_oidc_provider_arn = var.github_oidc_provider_arn
  force_destroy            = false

  tags = {
    environment = var.environment
  }
}
