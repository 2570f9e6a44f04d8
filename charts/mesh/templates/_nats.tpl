{{/*
nats-server's configuration file. Expects (dict "nats" .Values.nats "routes" LIST).
$POD_NAME comes from the environment (nats-server resolves unknown variables there).
*/}}
{{- define "mesh.natsConfig" -}}
server_name: $POD_NAME
listen: 0.0.0.0:4222
http_port: 8222
pid_file: /var/run/nats/nats.pid
lame_duck_duration: {{ .nats.lameDuckDuration }}
lame_duck_grace_period: {{ .nats.lameDuckGracePeriod }}

jetstream {
  store_dir: /data
  max_file_store: {{ .nats.maxFileStore }}
  max_memory_store: {{ .nats.maxMemoryStore }}
  # fsync before every acknowledgement (nats-server >= 2.10). With the default of 2 minutes an
  # acknowledged event lives only in the page cache of the servers until the next sync.
  sync_interval: {{ .nats.syncInterval }}
}

cluster {
  name: {{ .nats.clusterName }}
  listen: 0.0.0.0:6222
  routes: [
    {{- range .routes }}
    {{ . }}
    {{- end }}
  ]
}
{{- end -}}
