# Renders one ERB template as Pharos rendered it, for the differential suite (test/e2e/erb-ruby.ts):
#   ruby test/helpers/render-erb.rb TEMPLATE CLUSTER_YML
# prints the rendered text, byte for byte, on stdout. Exit 1: the template failed (a syntax error, `raise`,
# a method Ruby does not have), with `Class: message` on stderr. Exit 2: bad arguments or an unreadable
# cluster.yml. Exit 3: Pharos would have refused cluster.yml (a class its safe_load did not permit), with
# `Class: message` on stderr. Tests only: the CLI never runs Ruby.
#
# Trim mode: Pharos::Erb#render called `ERB.new(content, nil, '%<>-')`, which Ruby reads as percent
# lines plus trim mode `-`. We pass `-` alone, as src/render/erb.ts documents: a line starting with `%` stays
# text there (it is a YAML directive). Pharos differs on such lines: it ran `% code` lines as Ruby and
# printed `%%` at a line start as `%`. The cases stay clear of lines starting with `%`.
#
# Context: the variables src/render/context.ts gives (Pharos passed name, cluster_config, firewalld_enabled and
# reload_iptables; options and the `networking` alias are ours), with the same defaults, through an
# OpenStruct binding as Pharos::Erb#render made it. The config's sections that Pharos declared as structs
# answer a method per key (and `[]`); every other mapping, `options` among them, is a plain Hash with the
# keys Psych read. Pharos read cluster.yml with `YAML.safe_load(text, [], [], true)` (lib/pharos/yaml_file.rb):
# aliases allowed, no class and no symbol permitted, so an unquoted :symbol, date or time refused the file.
require 'base64'
require 'date'
require 'erb'
require 'ipaddr'
require 'json'
require 'ostruct'
require 'yaml'

# Ruby 3 warns about things Ruby 2.5 accepted silently; the output is what is compared, not the warnings.
$VERBOSE = nil

# A section of Pharos' Dry::Struct config: a method per attribute (nil for a declared one not written), and
# `[]`; any other name is Ruby's NoMethodError.
class ConfigStruct
  def initialize(attributes, declared)
    @attributes = attributes
    @declared = declared
  end

  def [](key)
    @attributes[key.to_s]
  end

  def respond_to_missing?(name, include_private = false)
    attribute?(name) || super
  end

  def method_missing(name, *args, &block)
    return @attributes[name.to_s] if args.empty? && block.nil? && attribute?(name)

    super
  end

  private

  def attribute?(name)
    @attributes.key?(name.to_s) || @declared.include?(name.to_s)
  end
end

# Sections Pharos 2.4 read as structs, by their path in cluster.yml (`*`: each item of a list), with the
# attributes it declared where the cases read one that may be unwritten (lib/pharos/configuration/*.rb).
STRUCTS = {
  %w[network] => %w[provider dns_replicas service_cidr pod_network_cidr node_local_dns_cache firewalld weave
                    calico custom dns_service_ip],
  %w[network firewalld] => %w[enabled open_ports trusted_subnets],
  %w[network custom] => %w[manifest_path options],
  %w[network weave] => [], %w[network calico] => [],
  %w[hosts *] => %w[address private_address private_interface role labels taints user ssh_key_path ssh_port
                    ssh_proxy_command container_runtime environment bastion repositories],
  %w[api] => [], %w[authentication] => [], %w[audit] => [], %w[kube_proxy] => [], %w[kubelet] => [],
  %w[control_plane] => [], %w[telemetry] => [], %w[etcd] => [], %w[cloud] => [], %w[container_runtime] => []
}.freeze

def structured(value, path)
  case value
  when Hash
    children = value.to_h { |key, child| [key, structured(child, path + [key.to_s])] }
    STRUCTS.key?(path) ? ConfigStruct.new(children, STRUCTS[path]) : children
  when Array
    value.map { |item| structured(item, path + ['*']) }
  else
    value
  end
end

# Pharos' defaults for the network section and the derived dns_service_ip, in src/config.ts' key order (a
# written key keeps its place, a missing one is appended). Sections Pharos left nil stay nil: `firewalld`
# and `custom.options` when cluster.yml does not write them (the `options` variable is `{}` then).
def with_defaults(config)
  network = config['network'].is_a?(Hash) ? config['network'].dup : {}
  network['provider'] = network['provider'] || 'weave'
  network['pod_network_cidr'] = network['pod_network_cidr'] || '10.32.0.0/12'
  network['service_cidr'] = network['service_cidr'] || '10.96.0.0/12'
  # Pharos puts the cluster DNS service at host number 10 of the service network.
  service = IPAddr.new(network['service_cidr'])
  network['dns_service_ip'] = IPAddr.new(service.to_i + 10, service.family).to_s
  network['node_local_dns_cache'] = true if network['node_local_dns_cache'].nil?
  if network['firewalld'].is_a?(Hash)
    network['firewalld'] = network['firewalld'].merge('enabled' => network['firewalld']['enabled'] || false)
  else
    network['firewalld'] = nil
  end
  config.merge('network' => network)
end

def context_of(cluster_yml)
  raw = YAML.safe_load(File.read(cluster_yml, encoding: 'UTF-8'), permitted_classes: [], permitted_symbols: [],
                                                                   aliases: true, filename: cluster_yml)
  config = with_defaults(raw.is_a?(Hash) ? raw : {})
  attributes = config.to_h { |key, value| [key, structured(value, [key.to_s])] }
  # `networking`, our alias of `network` (the spelling the spec's examples use), is the same struct.
  attributes['networking'] = attributes['network']
  cluster_config = ConfigStruct.new(attributes, [])
  {
    name: 'custom_network',
    cluster_config: cluster_config,
    options: cluster_config.network.custom&.options || {},
    firewalld_enabled: cluster_config.network.firewalld&.enabled || false,
    reload_iptables: false
  }
end

unless ARGV.size == 2
  $stderr.puts 'usage: ruby test/helpers/render-erb.rb TEMPLATE CLUSTER_YML'
  exit 2
end
template_path, cluster_yml = ARGV

begin
  vars = context_of(cluster_yml)
  source = File.read(template_path, encoding: 'UTF-8')
rescue Psych::DisallowedClass => e
  $stderr.puts "#{e.class}: #{e.message}"
  exit 3
rescue StandardError, Psych::Exception => e
  $stderr.puts "#{e.class}: #{e.message}"
  exit 2
end

begin
  erb = ERB.new(source, trim_mode: '-')
  erb.filename = template_path
  output = erb.result(OpenStruct.new(vars).instance_eval { binding })
rescue StandardError, ScriptError => e
  $stderr.puts "#{e.class}: #{e.message}"
  exit 1
end
$stdout.binmode
$stdout.write(output)
