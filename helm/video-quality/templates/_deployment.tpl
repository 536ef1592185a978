{{/*
The Deployment of one component and track. ctx: dict "root" $ "component" "detector|enhancer" "track" "stable|canary"
The canary track differs only in its name, replica count, `track` label and Model:Version.
*/}}
{{- define "vq.deployment" -}}
{{- $root := .root }}
{{- $v := $root.Values }}
{{- $component := .component }}
{{- $track := .track }}
{{- $c := index $v $component }}
{{- $ctx := dict "root" $root "component" $component }}
{{- $gpu := $c.gpu.enabled }}
{{- $modelVersion := $c.model.version }}
{{- $imageTag := "" }}
{{- if eq $track "canary" }}
{{- $modelVersion = default $c.model.version $c.canary.modelVersion }}
{{- $imageTag = $c.canary.imageTag }}
{{- if not (or $c.canary.modelVersion $c.canary.imageTag) }}
{{- fail (printf "%s.canary needs a modelVersion or an imageTag that differs from the stable track" $component) }}
{{- end }}
{{- end }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "vq.componentName" (dict "root" $root "component" $component "track" $track) }}
  labels:
    {{- include "vq.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ $component }}
    videoquality.io/track: {{ $track }}
spec:
  {{- if eq $track "canary" }}
  replicas: {{ $c.canary.replicaCount }}
  {{- else if not $c.autoscaling.enabled }}
  replicas: {{ $c.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  selector:
    matchLabels:
      {{- include "vq.selectorLabels" $ctx | nindent 6 }}
      videoquality.io/track: {{ $track }}
  template:
    metadata:
      labels:
        {{- include "vq.selectorLabels" $ctx | nindent 8 }}
        videoquality.io/track: {{ $track }}
        videoquality.io/model-version: {{ default "latest" $modelVersion | quote }}
        {{- with $c.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
        {{- if and $v.mqtt.enabled (not $v.mqtt.existingSecret) }}
        checksum/mqtt: {{ include (print $root.Template.BasePath "/secret.yaml") $root | sha256sum }}
        {{- end }}
        {{- if $v.istio.enabled }}
        # Probes stay on the app's ports; Istio rewrites them through the sidecar agent.
        sidecar.istio.io/rewriteAppHTTPProbers: "true"
        {{- end }}
        {{- with $c.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "vq.serviceAccountName" $root }}
      automountServiceAccountToken: {{ $v.rbac.create }}
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      terminationGracePeriodSeconds: {{ $c.terminationGracePeriodSeconds }}
      securityContext:
        runAsNonRoot: true
        runAsUser: {{ $v.podSecurity.runAsUser }}
        runAsGroup: {{ $v.podSecurity.runAsGroup }}
        fsGroup: {{ $v.podSecurity.fsGroup }}
        fsGroupChangePolicy: OnRootMismatch
        seccompProfile:
          type: RuntimeDefault
      {{- if eq $v.models.source "s3" }}
      initContainers:
        - name: fetch-models
          image: {{ $v.models.s3.image }}
          imagePullPolicy: IfNotPresent
          # The enhancer also loads the detector model (local detection when the detector is unreachable).
          command: ["aws", "s3", "sync", "--only-show-errors", "--exclude", "*", "--include", "detector/*"]
          args:
            {{- if eq $component "enhancer" }}
            - --include
            - enhancer/*
            {{- end }}
            - --exclude
            - "*/golden/*"
            {{- $prefix := trimAll "/" $v.models.s3.prefix }}
            - {{ printf "s3://%s/%s" (required "models.s3.bucket is required when models.source=s3" $v.models.s3.bucket) (ternary (printf "%s/models" $prefix) "models" (ne $prefix "")) | quote }}
            - /app/models
          env:
            - name: HOME
              value: /tmp
            {{- with $v.models.s3.region }}
            - name: AWS_REGION
              value: {{ . | quote }}
            {{- end }}
          securityContext:
            {{- include "vq.containerSecurityContext" $root | nindent 12 }}
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              cpu: "1"
              memory: 512Mi
          volumeMounts:
            - name: models
              mountPath: /app/models
            - name: tmp
              mountPath: /tmp
      {{- end }}
      containers:
        - name: {{ $component }}
          image: {{ include "vq.image" (dict "root" $root "component" $component "tag" $imageTag) | quote }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          ports:
            - name: grpc
              containerPort: {{ $c.ports.grpc }}
              protocol: TCP
            - name: http-metrics
              containerPort: {{ $c.ports.http }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "vq.componentName" $ctx }}
          env:
            {{- if and (eq $track "canary") $modelVersion }}
            - name: Model__Version
              value: {{ $modelVersion | quote }}
            {{- end }}
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            - name: NODE_NAME
              valueFrom:
                fieldRef:
                  fieldPath: spec.nodeName
            - name: OTEL_RESOURCE_ATTRIBUTES
              value: "k8s.pod.name=$(POD_NAME),k8s.namespace.name=$(POD_NAMESPACE),k8s.node.name=$(NODE_NAME),videoquality.track={{ $track }}"
            {{- if $v.mqtt.enabled }}
            - name: Mqtt__Username
              valueFrom:
                secretKeyRef:
                  name: {{ include "vq.mqttSecretName" $root }}
                  key: {{ $v.mqtt.existingSecretUsernameKey }}
            - name: Mqtt__Password
              valueFrom:
                secretKeyRef:
                  name: {{ include "vq.mqttSecretName" $root }}
                  key: {{ $v.mqtt.existingSecretPasswordKey }}
            {{- end }}
            {{- with $c.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          # Startup: ready means the model is loaded, which on GPU with a cold cache includes the TensorRT
          # engine build; liveness starts only after it, so a long build is not killed.
          startupProbe:
            httpGet:
              path: /readyz
              port: http-metrics
            periodSeconds: {{ $c.startupProbe.periodSeconds }}
            failureThreshold: {{ $c.startupProbe.failureThreshold }}
            timeoutSeconds: 3
          readinessProbe:
            {{- if $v.tls.enabled }}
            # Kubelet gRPC probes cannot speak TLS: use the HTTP readiness endpoint.
            httpGet:
              path: /readyz
              port: http-metrics
            {{- else }}
            grpc:
              port: {{ $c.ports.grpc }}
            {{- end }}
            periodSeconds: 5
            failureThreshold: 3
            timeoutSeconds: 3
          livenessProbe:
            httpGet:
              path: /healthz
              port: http-metrics
            periodSeconds: 10
            failureThreshold: 6
            timeoutSeconds: 3
          lifecycle:
            preStop:
              # Leave the endpoints before SIGTERM so no new stream lands on a draining pod.
              sleep:
                seconds: {{ include "vq.preStopSeconds" $root }}
          resources:
            {{- $res := deepCopy $c.resources }}
            {{- if $gpu }}
            {{- $limits := merge (default (dict) $res.limits) (dict "nvidia.com/gpu" $c.gpu.count) }}
            {{- $_ := set $res "limits" $limits }}
            {{- end }}
            {{- toYaml $res | nindent 12 }}
          securityContext:
            {{- include "vq.containerSecurityContext" $root | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            - name: trt-cache
              mountPath: {{ $v.tensorrt.cache.mountPath }}
            {{- if ne $v.models.source "image" }}
            - name: models
              mountPath: /app/models
              readOnly: true
            {{- end }}
            {{- if $v.tls.enabled }}
            - name: tls
              mountPath: /etc/videoquality/tls
              readOnly: true
            {{- if and $v.tls.mutual (eq $component "enhancer") }}
            - name: client-tls
              mountPath: /etc/videoquality/client-tls
              readOnly: true
            {{- end }}
            {{- end }}
            {{- if and $v.auth.enabled $v.auth.apiKeys.existingSecret }}
            - name: api-keys
              mountPath: /etc/videoquality/api-keys
              readOnly: true
            {{- end }}
            {{- if and $v.auth.enabled $v.auth.jwt.signingKeySecret }}
            - name: jwt
              mountPath: /etc/videoquality/jwt
              readOnly: true
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 256Mi
        - name: trt-cache
          {{- if $v.tensorrt.cache.existingClaim }}
          persistentVolumeClaim:
            claimName: {{ $v.tensorrt.cache.existingClaim }}
          {{- else }}
          emptyDir:
            sizeLimit: {{ $v.tensorrt.cache.sizeLimit }}
          {{- end }}
        {{- if eq $v.models.source "s3" }}
        - name: models
          emptyDir:
            sizeLimit: {{ $v.models.s3.sizeLimit }}
        {{- else if eq $v.models.source "pvc" }}
        - name: models
          persistentVolumeClaim:
            claimName: {{ required "models.pvc.claimName is required when models.source=pvc" $v.models.pvc.claimName }}
            readOnly: true
        {{- end }}
        {{- if $v.tls.enabled }}
        - name: tls
          secret:
            secretName: {{ include "vq.tlsSecretName" $root }}
            defaultMode: 0440
        {{- if and $v.tls.mutual (eq $component "enhancer") }}
        - name: client-tls
          secret:
            secretName: {{ include "vq.enhancerClientSecretName" $root }}
            defaultMode: 0440
        {{- end }}
        {{- end }}
        {{- if and $v.auth.enabled $v.auth.apiKeys.existingSecret }}
        - name: api-keys
          secret:
            secretName: {{ $v.auth.apiKeys.existingSecret }}
            defaultMode: 0440
        {{- end }}
        {{- if and $v.auth.enabled $v.auth.jwt.signingKeySecret }}
        - name: jwt
          secret:
            secretName: {{ $v.auth.jwt.signingKeySecret }}
            defaultMode: 0440
            items:
              - key: {{ $v.auth.jwt.signingKeySecretKey }}
                path: {{ $v.auth.jwt.signingKeySecretKey }}
        {{- end }}
      {{- $nodeSelector := $c.nodeSelector }}
      {{- if $gpu }}
      {{- $nodeSelector = merge (deepCopy $c.nodeSelector) $c.gpu.nodeSelector }}
      {{- end }}
      {{- with $nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- $tolerations := $c.tolerations }}
      {{- if $gpu }}
      {{- $tolerations = concat $c.tolerations $c.gpu.tolerations }}
      {{- end }}
      {{- with $tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if $v.topologySpread.enabled }}
      topologySpreadConstraints:
        - maxSkew: {{ $v.topologySpread.maxSkew }}
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: {{ $v.topologySpread.zoneWhenUnsatisfiable }}
          labelSelector:
            matchLabels:
              {{- include "vq.selectorLabels" $ctx | nindent 14 }}
          matchLabelKeys:
            - pod-template-hash
        - maxSkew: {{ $v.topologySpread.maxSkew }}
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: {{ $v.topologySpread.nodeWhenUnsatisfiable }}
          labelSelector:
            matchLabels:
              {{- include "vq.selectorLabels" $ctx | nindent 14 }}
          matchLabelKeys:
            - pod-template-hash
      {{- end }}
{{- end }}
