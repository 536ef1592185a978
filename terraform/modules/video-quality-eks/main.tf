# VPC and EKS cluster with a CPU and a GPU managed node group.

locals {
  tags = merge(var.tags, {
    "app.kubernetes.io/part-of" = "videoquality"
    "managed-by"                = "terraform"
  })

  private_subnets = [for i, _ in var.availability_zones : cidrsubnet(var.vpc_cidr, 4, i)]
  public_subnets  = [for i, _ in var.availability_zones : cidrsubnet(var.vpc_cidr, 8, 200 + i)]

  gpu_node_labels = {
    "videoquality.io/node-pool" = "gpu"
  }
}

module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "~> 5.16"

  name = var.name
  cidr = var.vpc_cidr
  azs  = var.availability_zones

  private_subnets = local.private_subnets
  public_subnets  = local.public_subnets

  enable_nat_gateway     = true
  single_nat_gateway     = var.single_nat_gateway
  one_nat_gateway_per_az = !var.single_nat_gateway
  enable_dns_hostnames   = true
  enable_dns_support     = true

  # Subnet discovery for the AWS Load Balancer Controller.
  public_subnet_tags = {
    "kubernetes.io/role/elb" = "1"
  }
  private_subnet_tags = {
    "kubernetes.io/role/internal-elb" = "1"
  }

  tags = local.tags
}

module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 20.31"

  cluster_name    = var.name
  cluster_version = var.kubernetes_version

  vpc_id     = module.vpc.vpc_id
  subnet_ids = module.vpc.private_subnets

  cluster_endpoint_private_access      = true
  cluster_endpoint_public_access       = length(var.endpoint_public_access_cidrs) > 0
  cluster_endpoint_public_access_cidrs = var.endpoint_public_access_cidrs

  # IRSA: the cluster's OIDC provider, used by the model-reader role below.
  enable_irsa = true

  authentication_mode                      = "API"
  enable_cluster_creator_admin_permissions = true
  access_entries                           = local.access_entries

  cluster_addons = {
    coredns                = {}
    kube-proxy             = {}
    eks-pod-identity-agent = {}
    vpc-cni = {
      before_compute = true
      # Enforces the chart's NetworkPolicies.
      configuration_values = jsonencode({
        enableNetworkPolicy = "true"
      })
    }
  }

  eks_managed_node_groups = {
    cpu = {
      ami_type       = "AL2023_x86_64_STANDARD"
      instance_types = var.cpu_node_instance_types
      min_size       = var.cpu_node_min_size
      desired_size   = var.cpu_node_desired_size
      max_size       = var.cpu_node_max_size

      labels = {
        "videoquality.io/node-pool" = "cpu"
      }
    }

    gpu = {
      # EKS-optimised AL2023 with the NVIDIA driver and container toolkit preinstalled.
      ami_type       = "AL2023_x86_64_NVIDIA"
      instance_types = var.gpu_node_instance_types
      capacity_type  = var.gpu_capacity_type
      min_size       = var.gpu_node_min_size
      desired_size   = var.gpu_node_desired_size
      max_size       = var.gpu_node_max_size

      block_device_mappings = {
        root = {
          device_name = "/dev/xvda"
          ebs = {
            volume_size           = var.gpu_node_disk_size
            volume_type           = "gp3"
            encrypted             = true
            delete_on_termination = true
          }
        }
      }

      labels = local.gpu_node_labels

      # Only pods that tolerate this (the chart's <component>.gpu.tolerations) land on GPU nodes.
      taints = {
        gpu = {
          key    = "nvidia.com/gpu"
          value  = "true"
          effect = "NO_SCHEDULE"
        }
      }
    }
  }

  tags = local.tags
}

# NVIDIA device plugin: advertises nvidia.com/gpu on the GPU nodes so pods can request it.
resource "helm_release" "nvidia_device_plugin" {
  name             = "nvidia-device-plugin"
  repository       = "https://nvidia.github.io/k8s-device-plugin"
  chart            = "nvidia-device-plugin"
  version          = var.nvidia_device_plugin_version
  namespace        = "nvidia-device-plugin"
  create_namespace = true
  atomic           = true
  timeout          = 600

  values = [
    yamlencode({
      nodeSelector = local.gpu_node_labels
      tolerations = [
        {
          key      = "nvidia.com/gpu"
          operator = "Exists"
          effect   = "NoSchedule"
        },
      ]
      gfd = {
        enabled = false
      }
    }),
  ]

  depends_on = [module.eks]
}
