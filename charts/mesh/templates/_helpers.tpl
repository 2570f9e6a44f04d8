{{/*
Labels of every object of one component. Expects (dict "name" NAME "component" ROLE "root" $).
`app` and `version` are the labels Istio's telemetry and the mesh/istio/ selectors use.
*/}}
{{- define "mesh.labels" -}}
{{ include "mesh.selectorLabels" . }}
app: {{ .name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: mesh
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/*
The labels a workload selects its pods by; they never change over the release's life.
Expects (dict "name" NAME "root" $).
*/}}
{{- define "mesh.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/*
Selects every pod of the release, for the default-deny NetworkPolicy.
*/}}
{{- define "mesh.releaseSelector" -}}
app.kubernetes.io/part-of: mesh
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
Extra pod labels and annotations under Istio. Expects (dict "root" $).
*/}}
{{- define "mesh.istioPodLabels" -}}
{{- if .root.Values.istio.enabled -}}
sidecar.istio.io/inject: "true"
{{- end -}}
{{- end -}}

{{- define "mesh.istioPodAnnotations" -}}
{{- if .root.Values.istio.enabled -}}
proxy.istio.io/config: {{ dict "holdApplicationUntilProxyStarts" true "terminationDrainDuration" .root.Values.istio.terminationDrainDuration | toJson | quote }}
{{- end -}}
{{- end -}}

{{/*
The pod-level security context of every pod: a fixed non-root user, and the volumes' group.
*/}}
{{- define "mesh.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.global.runAsUser }}
runAsGroup: {{ .Values.global.runAsGroup }}
fsGroup: {{ .Values.global.runAsGroup }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
The container-level security context: nothing but the mounted volumes is writable.
*/}}
{{- define "mesh.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
{{- end -}}

{{- define "mesh.imagePullSecrets" -}}
{{- with .Values.global.imagePullSecrets -}}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end -}}
{{- end -}}

{{/*
The JetStream stream name of a context, as the services derive it: upper case, dots to
underscores ("usedcar.purchase" -> "USEDCAR_PURCHASE").
*/}}
{{- define "mesh.streamName" -}}
{{ . | replace "." "_" | upper }}
{{- end -}}

{{/*
NetworkPolicy egress rules shared by the workloads: the cluster DNS, the NATS servers, istiod.
*/}}
{{- define "mesh.dnsEgress" -}}
- ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
  to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ .Values.networkPolicy.dnsNamespace }}
{{- end -}}

{{- define "mesh.natsEgress" -}}
{{- if .Values.nats.enabled -}}
- ports:
    - protocol: TCP
      port: 4222
  to:
    - podSelector:
        matchLabels:
          {{- include "mesh.selectorLabels" (dict "name" "nats" "root" .) | nindent 10 }}
{{- else -}}
# An external broker: allow its port anywhere; narrow it with a policy of your own.
- ports:
    - protocol: TCP
      port: 4222
{{- end }}
{{- end -}}

{{- define "mesh.istiodEgress" -}}
{{- if .Values.istio.enabled -}}
- ports:
    - protocol: TCP
      port: 15012
  to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ .Values.istio.controlPlaneNamespace }}
{{- end }}
{{- end -}}
