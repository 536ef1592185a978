# Development: two AZs, one NAT gateway, small CPU nodes, a GPU group that scales to zero, spot GPUs,
# everything destroyable.
module "video_quality" {
  source = "../../modules/video-quality-eks"

  name               = "vq-${var.environment}"
  region             = var.region
  availability_zones = ["${var.region}a", "${var.region}b"]
  vpc_cidr           = "10.40.0.0/16"
  single_nat_gateway = true

  kubernetes_version           = "1.32"
  endpoint_public_access_cidrs = var.endpoint_public_access_cidrs
  cluster_admin_arns           = var.cluster_admin_arns

  cpu_node_instance_types = ["m6i.large"]
  cpu_node_min_size       = 1
  cpu_node_desired_size   = 2
  cpu_node_max_size       = 3

  gpu_node_instance_types = ["g6.xlarge", "g5.xlarge"]
  gpu_capacity_type       = "SPOT"
  gpu_node_min_size       = 0
  gpu_node_desired_size   = 0
  gpu_node_max_size       = 2

  app_namespace       = "videoquality"
  app_service_account = "vq-video-quality"
  github_repository   = var.github_repository
  force_destroy       = true

  tags = {
    environment = var.environment
  }
}
