{{/*
Everything one gRPC service of the mesh needs: its ServiceAccount (its Istio identity), a
ConfigMap holding every setting as the environment variable the service reads, a Service whose
gRPC port is named "grpc", a StatefulSet with a RocksDB volume per pod and gRPC health probes,
a PodDisruptionBudget and, where the service may scale out, a HorizontalPodAutoscaler.

Expects (dict "name" NAME "root" $), NAME being a key of .Values.services.
*/}}
{{- define "mesh.grpcService" -}}
{{- $name := .name -}}
{{- $root := .root -}}
{{- $svc := index $root.Values.services $name -}}
{{- if not $svc }}{{ fail (printf "services.%s is not in the values" $name) }}{{ end -}}
{{- $prefix := $svc.envPrefix -}}
{{- $labels := include "mesh.labels" (dict "name" $name "component" "grpc-service" "root" $root) -}}
{{- $selector := include "mesh.selectorLabels" (dict "name" $name "root" $root) -}}
{{- range $key := list "host" "port" "metrics_port" "data_dir" "nats_url" }}
{{- if hasKey $svc.config $key }}
{{- fail (printf "services.%s.config.%s is set by the chart; remove it" $name $key) }}
{{- end }}
{{- end }}
{{- if and (not $svc.scaleOut) (or (gt (int $svc.replicas) 1) $svc.autoscaling.enabled) }}
{{- fail (printf "services.%s cannot scale out: each pod keeps its own RocksDB and the pods share one durable consumer, so replicas would split its data (set replicas: 1 and autoscaling.enabled: false)" $name) }}
{{- end }}
{{- $configData := dict -}}
{{- $_ := set $configData (printf "%s_HOST" $prefix) "0.0.0.0" -}}
{{- $_ := set $configData (printf "%s_PORT" $prefix) (toString $svc.port) -}}
{{- $_ := set $configData (printf "%s_METRICS_PORT" $prefix) (toString $svc.metricsPort) -}}
{{- $_ := set $configData (printf "%s_DATA_DIR" $prefix) (printf "/data/%s" $name) -}}
{{- $_ := set $configData (printf "%s_NATS_URL" $prefix) $root.Values.global.natsUrl -}}
{{- range $key, $value := $svc.config }}
{{- $_ := set $configData (printf "%s_%s" $prefix (upper $key)) (toString $value) -}}
{{- end }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $name }}
  labels:
    {{- $labels | nindent 4 }}
automountServiceAccountToken: false
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $name }}-config
  labels:
    {{- $labels | nindent 4 }}
data:
  {{- range $key := keys $configData | sortAlpha }}
  {{ $key }}: {{ index $configData $key | quote }}
  {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  labels:
    {{- $labels | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- $selector | nindent 4 }}
  ports:
    - name: grpc
      port: {{ $svc.port }}
      targetPort: grpc
      protocol: TCP
      appProtocol: grpc
    - name: http-metrics
      port: {{ $svc.metricsPort }}
      targetPort: http-metrics
      protocol: TCP
      appProtocol: http
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ $name }}
  labels:
    {{- $labels | nindent 4 }}
spec:
  # The Service above governs the set. Clients reach the service through it; no caller needs
  # a stable per-pod DNS name, so it need not be headless.
  serviceName: {{ $name }}
  {{- if not $svc.autoscaling.enabled }}
  replicas: {{ $svc.replicas }}
  {{- end }}
  podManagementPolicy: OrderedReady
  updateStrategy:
    type: RollingUpdate
  # The RocksDB volume outlives the StatefulSet: uninstalling the chart keeps the data.
  persistentVolumeClaimRetentionPolicy:
    whenDeleted: Retain
    whenScaled: Retain
  selector:
    matchLabels:
      {{- $selector | nindent 6 }}
  template:
    metadata:
      labels:
        {{- $labels | nindent 8 }}
        version: {{ $svc.image.tag | quote }}
        {{- with include "mesh.istioPodLabels" (dict "root" $root) }}{{ . | nindent 8 }}{{ end }}
      annotations:
        checksum/config: {{ toJson $configData | sha256sum }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ $svc.metricsPort | quote }}
        prometheus.io/path: /metrics
        {{- with include "mesh.istioPodAnnotations" (dict "root" $root) }}{{ . | nindent 8 }}{{ end }}
    spec:
      serviceAccountName: {{ $name }}
      automountServiceAccountToken: false
      # Longer than shutdown_grace + drain_timeout + relay_flush_timeout: the pod reports
      # NOT_SERVING, drains its calls and flushes its outbox before the kubelet may kill it.
      terminationGracePeriodSeconds: {{ $svc.terminationGracePeriodSeconds }}
      enableServiceLinks: false
      securityContext:
        {{- include "mesh.podSecurityContext" $root | nindent 8 }}
      {{- with include "mesh.imagePullSecrets" $root }}{{ . | nindent 6 }}{{ end }}
      containers:
        - name: {{ $name }}
          image: {{ printf "%s:%s" $svc.image.repository $svc.image.tag | quote }}
          imagePullPolicy: {{ $root.Values.global.imagePullPolicy }}
          envFrom:
            - configMapRef:
                name: {{ $name }}-config
          ports:
            - name: grpc
              containerPort: {{ $svc.port }}
              protocol: TCP
            - name: http-metrics
              containerPort: {{ $svc.metricsPort }}
              protocol: TCP
          # grpc.health.v1 on the gRPC port. Readiness follows the local store, never the broker
          # (DESIGN 3.7); on SIGTERM the service reports NOT_SERVING and readiness drops first.
          startupProbe:
            grpc:
              port: {{ $svc.port }}
            periodSeconds: 2
            timeoutSeconds: 2
            # RocksDB may replay its log for a while after a crash.
            failureThreshold: 90
          readinessProbe:
            grpc:
              port: {{ $svc.port }}
            periodSeconds: 5
            timeoutSeconds: 2
            failureThreshold: 2
          livenessProbe:
            grpc:
              port: {{ $svc.port }}
            periodSeconds: 10
            timeoutSeconds: 3
            # Longer than a shutdown, during which the service answers NOT_SERVING.
            failureThreshold: 6
          resources:
            {{- toYaml $svc.resources | nindent 12 }}
          securityContext:
            {{- include "mesh.containerSecurityContext" $root | nindent 12 }}
          volumeMounts:
            - name: data
              mountPath: /data
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
  volumeClaimTemplates:
    - metadata:
        name: data
        labels:
          {{- $selector | nindent 10 }}
      spec:
        accessModes:
          - ReadWriteOnce
        {{- with $root.Values.global.storageClassName }}
        storageClassName: {{ . }}
        {{- end }}
        resources:
          requests:
            storage: {{ $svc.storage.size }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $name }}
  labels:
    {{- $labels | nindent 4 }}
spec:
  maxUnavailable: {{ $svc.pdb.maxUnavailable }}
  # A pod that is not running (crash loop) never blocks a node drain.
  unhealthyPodEvictionPolicy: AlwaysAllow
  selector:
    matchLabels:
      {{- $selector | nindent 6 }}
{{- if $svc.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $name }}
  labels:
    {{- $labels | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: StatefulSet
    name: {{ $name }}
  minReplicas: {{ $svc.autoscaling.minReplicas }}
  maxReplicas: {{ $svc.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $svc.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{- end -}}
