{{/* nats-server configuration (https://docs.nats.io/running-a-nats-service/configuration).
$NAME values are read from the container's environment by nats-server itself, so secrets never
land in the ConfigMap. */}}
{{/* JetStream domain: the configured one; a leaf node defaults to the cluster name. */}}
{{- define "hubpo.natsDomain" -}}
{{- $n := .Values.nats.internal -}}
{{- if $n.jetstream.domain -}}
{{- $n.jetstream.domain -}}
{{- else if or $n.leafnode.remote.url $n.leafnode.remote.existingSecret -}}
{{- .Values.global.cluster -}}
{{- end -}}
{{- end -}}

{{- define "hubpo.natsConfig" -}}
{{- $n := .Values.nats.internal -}}
{{- $name := include "hubpo.natsName" . -}}
server_name: $SERVER_NAME
port: 4222
http_port: 8222
lame_duck_duration: 30s
lame_duck_grace_period: 10s
{{- if $n.jetstream.enabled }}
jetstream {
  store_dir: /data/jetstream
  max_memory_store: {{ $n.jetstream.maxMemoryStore }}
  max_file_store: {{ $n.jetstream.maxFileStore }}
  {{- with include "hubpo.natsDomain" . }}
  domain: {{ . }}
  {{- end }}
}
{{- end }}
{{- if gt (int $n.replicas) 1 }}
cluster {
  name: {{ $name }}
  port: 6222
  routes: [
    {{- range $i := until (int $n.replicas) }}
    nats://{{ $name }}-{{ $i }}.{{ $name }}-headless.{{ $.Release.Namespace }}.svc:6222
    {{- end }}
  ]
}
{{- end }}
{{- $remote := or $n.leafnode.remote.url $n.leafnode.remote.existingSecret }}
{{- if or $n.leafnode.listen.enabled $remote }}
leafnodes {
  {{- if $n.leafnode.listen.enabled }}
  port: 7422
  {{- if $n.leafnode.listen.tls.secretName }}
  tls {
    cert_file: /etc/nats-tls/leafnodes/tls.crt
    key_file: /etc/nats-tls/leafnodes/tls.key
  }
  {{- end }}
  authorization {
    user: $LEAF_USERNAME
    password: $LEAF_PASSWORD
  }
  {{- end }}
  {{- if $remote }}
  remotes: [
    {
      urls: [$LEAF_REMOTE_URL]
      {{- if $n.leafnode.remote.tls.caSecretName }}
      tls: { ca_file: /etc/nats-tls/hub-ca/ca.crt }
      {{- end }}
    }
  ]
  {{- end }}
}
{{- end }}
{{- end -}}
