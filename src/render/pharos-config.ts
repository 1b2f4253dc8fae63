/**
 * `cluster_config` as Pharos' templates saw it: a `Pharos::Config` (a Dry::Struct), not the YAML. Every
 * attribute the config declares answers, with the value written in cluster.yml, Pharos' default, or nil;
 * any other name is an error, as the NoMethodError it was in Ruby, but located and explained.
 *
 * The declarations are those of Pharos 2.4 (kontena/pharos-cluster v2.4.10: lib/pharos/config.rb,
 * lib/pharos/config_schema.rb's DEFAULT_DATA and lib/pharos/configuration/*.rb), the last release of the
 * 2.x line this tool follows (custom networks came in 2.2). The result is plain data: hashes, arrays and
 * scalars, each struct a hash holding every declared attribute and a KEY_GUARD that refuses the others.
 */
import { ConfigError } from '../errors.js'
import { KEY_GUARD, type KeyGuard } from './erb/guard.js'
import { isRecord } from '../records.js'

/** What an attribute holds, as its Dry type says. `fallback` is Pharos' default; without one, nil. */
export type Attribute =
  /** `unwritten`: why Pharos' templates never saw it nil, when it is not written (Pharos set it during a run). */
  | { kind: 'scalar'; fallback?: string | number | boolean; unwritten?: string }
  /** Free-form data (`Types::Hash`): whatever was written, unguarded. */
  | { kind: 'hash'; fallback?: Record<string, unknown> }
  | { kind: 'array'; fallback?: readonly unknown[] }
  /** A nested struct; `fallback` is the data it is built from when the section is not written. */
  | { kind: 'struct'; struct: StructName; fallback?: Record<string, unknown> }
  | { kind: 'structs'; struct: StructName; fallback?: readonly Record<string, unknown>[] }

export interface StructDeclaration {
  /** Pharos' class, for messages. */
  className: string
  attributes: Readonly<Record<string, Attribute>>
  /** Names Pharos set on the object from the live machines during a run: a render from files cannot know them. */
  runtime?: readonly string[]
  /** Methods of Pharos' class (besides its attributes) that this tool does not compute. */
  methods?: readonly string[]
}

export type StructName =
  | 'Config' | 'Host' | 'Taint' | 'Bastion' | 'Repository' | 'Network' | 'Firewalld' | 'FirewalldPort' | 'Weave'
  | 'Calico' | 'Custom' | 'KubeProxy' | 'Api' | 'Etcd' | 'Cloud' | 'Authentication' | 'TokenWebhook' | 'Oidc'
  | 'Audit' | 'WebhookAudit' | 'FileAudit' | 'Kubelet' | 'ControlPlane' | 'Telemetry' | 'PodSecurityPolicy'
  | 'AdmissionPlugin' | 'ContainerRuntime'

const scalar = (fallback?: string | number | boolean): Attribute =>
  (fallback === undefined ? { kind: 'scalar' } : { kind: 'scalar', fallback })
const hash = (fallback?: Record<string, unknown>): Attribute => (fallback ? { kind: 'hash', fallback } : { kind: 'hash' })
const array = (fallback?: readonly unknown[]): Attribute => (fallback ? { kind: 'array', fallback } : { kind: 'array' })
const struct = (name: StructName, fallback?: Record<string, unknown>): Attribute =>
  (fallback ? { kind: 'struct', struct: name, fallback } : { kind: 'struct', struct: name })
const structs = (name: StructName, fallback?: readonly Record<string, unknown>[]): Attribute =>
  (fallback ? { kind: 'structs', struct: name, fallback } : { kind: 'structs', struct: name })

const port = (number: string, protocol: string, role: string) => ({ port: number, protocol, roles: [role] })

/** Pharos 2.4's declarations, in its order. A section in ConfigSchema::DEFAULT_DATA is a struct even when not written. */
export const PHAROS_CONFIG: Readonly<Record<StructName, StructDeclaration>> = {
  Config: {
    className: 'Pharos::Config',
    attributes: {
      hosts: structs('Host', []),
      network: struct('Network', {}),
      kube_proxy: struct('KubeProxy', {}),
      api: struct('Api', {}),
      etcd: struct('Etcd'),
      cloud: struct('Cloud'),
      authentication: struct('Authentication', {}),
      audit: struct('Audit', {
        file: { path: '/var/log/kubernetes/audit.json', max_size: 100, max_age: 30, max_backups: 20 },
      }),
      kubelet: struct('Kubelet', {}),
      control_plane: struct('ControlPlane'),
      telemetry: struct('Telemetry', {}),
      pod_security_policy: struct('PodSecurityPolicy', {}),
      image_repository: scalar('registry.pharos.sh/kontenapharos'),
      addon_paths: array([]),
      addons: hash({}),
      admission_plugins: structs('AdmissionPlugin'),
      container_runtime: struct('ContainerRuntime', {}),
      name: {
        kind: 'scalar',
        unwritten: "cluster.yml does not write it, and Pharos named the cluster during a run (the running " +
          "cluster's name, or a random one for a new cluster); a render from files cannot know it",
      },
    },
    methods: [
      'dns_replicas', 'master_hosts', 'master_host', 'worker_hosts', 'etcd_hosts', 'etcd_peer_address',
      'etcd_regions', 'regions', 'data', 'set', 'to_yaml', 'dig',
    ],
  },
  Host: {
    className: 'Pharos::Configuration::Host',
    attributes: {
      address: scalar(),
      private_address: scalar(),
      private_interface: scalar(),
      role: scalar(),
      // A method over the attribute in Pharos: the labels written plus the ones Pharos adds (hostLabels).
      labels: hash({}),
      taints: structs('Taint'),
      user: scalar(),
      ssh_key_path: scalar(),
      ssh_port: scalar(22),
      ssh_proxy_command: scalar(),
      container_runtime: scalar('docker'),
      environment: hash(),
      bastion: struct('Bastion'),
      repositories: structs('Repository'),
    },
    runtime: [
      'os_release', 'cpu_arch', 'hostname', 'private_interface_address', 'resolvconf', 'routes', 'checks',
      'short_hostname', 'peer_address', 'peer_address_for', 'api_address', 'transport', 'configurer', 'kubelet_args',
      'overlapping_routes', 'new?', 'master_sort_score', 'etcd_sort_score',
    ],
    methods: [
      'api_endpoint', 'config', 'region', 'local?', 'crio?', 'docker?', 'custom_docker?', 'master?', 'worker?',
      'configure_bastion',
    ],
  },
  Taint: {
    className: 'Pharos::Configuration::Taint',
    attributes: { key: scalar(), value: scalar(), effect: scalar() },
  },
  Bastion: {
    className: 'Pharos::Configuration::Bastion',
    attributes: {
      address: scalar(), user: scalar(), ssh_key_path: scalar(), ssh_port: scalar(22), ssh_proxy_command: scalar(),
    },
  },
  Repository: {
    className: 'Pharos::Configuration::Repository',
    attributes: { name: scalar(), contents: scalar(), key_url: scalar() },
  },
  Network: {
    className: 'Pharos::Configuration::Network',
    attributes: {
      provider: scalar('weave'),
      dns_replicas: scalar(),
      service_cidr: scalar('10.96.0.0/12'),
      pod_network_cidr: scalar('10.32.0.0/12'),
      node_local_dns_cache: scalar(true),
      firewalld: struct('Firewalld'),
      weave: struct('Weave'),
      calico: struct('Calico'),
      custom: struct('Custom'),
      // A method in Pharos (the service CIDR's base address + 10); the config loader computes it.
      dns_service_ip: scalar(),
    },
    methods: ['filter_host_routes'],
  },
  Firewalld: {
    className: 'Pharos::Configuration::Network::Firewalld',
    attributes: {
      enabled: scalar(false),
      open_ports: structs('FirewalldPort', [
        port('22', 'tcp', '*'),
        port('80', 'tcp', 'worker'),
        port('443', 'tcp', 'worker'),
        port('6443', 'tcp', 'master'),
        port('30000-32767', 'tcp', '*'),
        port('30000-32767', 'udp', '*'),
      ]),
      trusted_subnets: array(),
    },
  },
  FirewalldPort: {
    className: 'Pharos::Configuration::Network::Firewalld::Port',
    attributes: { port: scalar(), protocol: scalar(), roles: array() },
  },
  Weave: {
    className: 'Pharos::Configuration::Network::Weave',
    attributes: {
      trusted_subnets: array(),
      no_masq_local: scalar(false),
      known_peers: array(),
      password: scalar(),
      ipalloc_default_subnet: scalar(),
    },
  },
  Calico: {
    className: 'Pharos::Configuration::Network::Calico',
    attributes: { ipip_mode: scalar('Always'), nat_outgoing: scalar(true), environment: hash({}), mtu: scalar(1500) },
  },
  Custom: {
    className: 'Pharos::Configuration::Network::Custom',
    attributes: { manifest_path: scalar(), options: hash() },
  },
  KubeProxy: { className: 'Pharos::Configuration::KubeProxy', attributes: { mode: scalar('iptables') } },
  Api: { className: 'Pharos::Configuration::Api', attributes: { endpoint: scalar() } },
  Etcd: {
    className: 'Pharos::Configuration::Etcd',
    attributes: { endpoints: array(), version: scalar(), certificate: scalar(), key: scalar(), ca_certificate: scalar() },
  },
  Cloud: {
    className: 'Pharos::Configuration::Cloud',
    attributes: { provider: scalar(), config: scalar() },
    methods: ['intree_provider?', 'outtree_provider?', 'resolve_provider', 'cloud_provider'],
  },
  Authentication: {
    className: 'Pharos::Configuration::Authentication',
    attributes: { token_webhook: struct('TokenWebhook'), oidc: struct('Oidc') },
  },
  TokenWebhook: {
    className: 'Pharos::Configuration::TokenWebhook',
    attributes: { config: hash(), cache_ttl: scalar() },
  },
  Oidc: {
    className: 'Pharos::Configuration::OIDC',
    attributes: {
      issuer_url: scalar(), client_id: scalar(), username_claim: scalar(), username_prefix: scalar(),
      groups_prefix: scalar(), groups_claim: scalar(), ca_file: scalar(),
    },
  },
  Audit: {
    className: 'Pharos::Configuration::Audit',
    attributes: { webhook: struct('WebhookAudit'), file: struct('FileAudit') },
  },
  WebhookAudit: { className: 'Pharos::Configuration::WebhookAudit', attributes: { server: scalar() } },
  FileAudit: {
    className: 'Pharos::Configuration::FileAudit',
    attributes: { path: scalar(), max_age: scalar(), max_backups: scalar(), max_size: scalar() },
  },
  Kubelet: {
    className: 'Pharos::Configuration::Kubelet',
    attributes: {
      read_only_port: scalar(false),
      feature_gates: hash(),
      extra_args: array(),
      cpu_cfs_quota: scalar(true),
      cpu_cfs_quota_period: scalar(),
    },
  },
  ControlPlane: {
    className: 'Pharos::Configuration::ControlPlane',
    attributes: { use_proxy: scalar(false), feature_gates: hash() },
  },
  Telemetry: { className: 'Pharos::Configuration::Telemetry', attributes: { enabled: scalar(true) } },
  PodSecurityPolicy: {
    className: 'Pharos::Configuration::PodSecurityPolicy',
    attributes: { default_policy: scalar('00-pharos-privileged') },
  },
  AdmissionPlugin: {
    className: 'Pharos::Configuration::AdmissionPlugin',
    attributes: { name: scalar(), enabled: scalar(true) },
  },
  ContainerRuntime: {
    className: 'Pharos::Configuration::ContainerRuntime',
    attributes: { insecure_registries: array([]) },
  },
}

/** The names Pharos 3 declared and 2.4 did not: a template written for Pharos 3 is told why they are missing. */
const PHAROS_3_ONLY: Readonly<Partial<Record<StructName, readonly string[]>>> = {
  Config: ['manifests'],
  KubeProxy: ['conntrack'],
  Kubelet: ['system_reserved', 'kube_reserved'],
}

/**
 * `cluster_config` from the loaded cluster.yml (plain data, as config.ts assembles it). `file` names the
 * config in the error for a section that is not a mapping, which Pharos' schema refused too.
 */
export function pharosConfig(written: Record<string, unknown>, file: string): Record<string, unknown> {
  return buildStruct('Config', written, 'cluster_config', file)
}

function buildStruct(name: StructName, written: Record<string, unknown>, path: string, file: string): Record<string, unknown> {
  const declaration = PHAROS_CONFIG[name]
  const built: Record<string, unknown> = {}
  const unknowable = new Map<string, string>()
  for (const [attribute, type] of Object.entries(declaration.attributes)) {
    const value = written[attribute]
    // Left out, not nil: Liquid then reads an undefined variable, and ERB's guard explains.
    if (type.kind === 'scalar' && type.unwritten && (value === undefined || value === null)) {
      unknowable.set(attribute, type.unwritten)
      continue
    }
    built[attribute] = buildAttribute(type, value, `${path}.${attribute}`, file)
  }
  if (name === 'Host') {
    if (built.private_interface !== null && built.private_address === null) {
      delete built.labels
      unknowable.set('labels', `Pharos added node-address.kontena.io/internal-ip from the address it found on ` +
        `${String(built.private_interface)} during a run; a render from files cannot know it`)
    } else {
      if (!isRecord(built.labels)) throw notA('mapping', `${path}.labels`, file)
      built.labels = hostLabels(built)
    }
  }
  return guarded(built, guardFor(name, path, unknowable))
}

function buildAttribute(type: Attribute, value: unknown, path: string, file: string): unknown {
  const given = value !== undefined && value !== null
  switch (type.kind) {
    case 'scalar':
      return given ? value : (type.fallback ?? null)
    case 'hash':
    case 'array':
      return given ? value : type.fallback === undefined ? null : structuredClone(type.fallback)
    case 'struct': {
      const data = given ? value : type.fallback
      if (data === undefined) return null
      if (!isRecord(data)) throw notA('mapping', path, file)
      return buildStruct(type.struct, data, path, file)
    }
    case 'structs': {
      const items = given ? value : type.fallback
      if (items === undefined) return null
      if (!Array.isArray(items)) throw notA('list', path, file)
      return items.map((item: unknown, i) => {
        if (!isRecord(item)) throw notA('mapping', `${path}[${i}]`, file)
        return buildStruct(type.struct, item, `${path}[${i}]`, file)
      })
    }
  }
}

/**
 * What Pharos' Host#labels returned: the labels written, then the node's addresses and, for a worker
 * without a node-role label, that role. (A host with `private_interface` and no `private_address` got the
 * address Pharos found on that interface: those labels are refused above.)
 */
function hostLabels(host: Record<string, unknown>): Record<string, unknown> {
  const labels = { ...(host.labels as Record<string, unknown>) }
  labels['node-address.kontena.io/external-ip'] = host.address
  if (host.private_address !== null) labels['node-address.kontena.io/internal-ip'] = host.private_address
  const hasRole = Object.keys(labels).some((key) => key.startsWith('node-role.kubernetes.io'))
  if (host.role === 'worker' && !hasRole) labels['node-role.kubernetes.io/worker'] = ''
  return labels
}

const UNKNOWABLE_HINTS: Readonly<Record<string, string>> = {
  name: 'write name: in cluster.yml',
  labels: "write the host's private_address in cluster.yml",
}

function guardFor(name: StructName, path: string, unknowable: ReadonlyMap<string, string>): KeyGuard {
  const declaration = PHAROS_CONFIG[name]
  const declared = Object.keys(declaration.attributes)
  // `networking` is this tool's alias of `network`, the spelling the spec's examples use.
  const answers = name === 'Config' ? [...declared, 'networking'] : declared
  return (key) => {
    const reason = unknowable.get(key)
    if (reason !== undefined) {
      return { message: `${path}.${key} is not known: ${reason}`, hint: UNKNOWABLE_HINTS[key] ?? `write ${key} in cluster.yml` }
    }
    if (answers.includes(key)) return undefined
    if (declaration.runtime?.includes(key)) {
      return {
        message: `${path}.${key} is what Pharos learned from the machine during a run; a render from files cannot know it`,
        hint: 'put the value in network.custom.options in cluster.yml and read it from options there',
      }
    }
    if (declaration.methods?.includes(key)) {
      return {
        message: `${path}.${key} is a method of Pharos' ${declaration.className} that this tool does not compute`,
        hint: `compute it in the template from the attributes: ${declared.join(', ')}`,
      }
    }
    const pharos3 = PHAROS_3_ONLY[name]?.includes(key) ? ` (\`${key}\` came in Pharos 3; this tool follows Pharos 2.4)` : ''
    return {
      message: `${path} has no attribute '${key}': Pharos' config declares ${declared.join(', ')}${pharos3}`,
      hint: `check the spelling; what cluster.yml holds beyond the declared attributes never reached Pharos' ` +
        `templates (free-form values go in network.custom.options)`,
    }
  }
}

function guarded(hash: Record<string, unknown>, guard: KeyGuard): Record<string, unknown> {
  Object.defineProperty(hash, KEY_GUARD, { value: guard, enumerable: false })
  return hash
}


function notA(shape: 'mapping' | 'list', path: string, file: string): ConfigError {
  const key = path.replace(/^cluster_config\./, '')
  return new ConfigError(`${key} in cluster.yml must be a ${shape}, as Pharos' schema required`, {
    file,
    hint: shape === 'mapping' ? `write the keys of ${key} indented below it` : `write ${key} as a list of \`- \` items`,
  })
}
