import t from 'tap'
import { allowedEnvPatterns, environmentView } from '../src/environment.js'
import { compileErb } from '../src/render/erb.js'
import { TemplateError } from '../src/errors.js'

const env = { HOME: '/root', CLUSTER_CIDR: '10.0.0.0/16', CLUSTER_MTU: '1400', SECRET: 's3cr3t', EMPTY: '' }

t.test('patterns come from PHAROS_NET_ALLOW_ENV, then --allow-env', async (t) => {
  t.same(allowedEnvPatterns(['A', ''], { PHAROS_NET_ALLOW_ENV: ' B , C_*,' }), ['B', 'C_*', 'A'])
  t.same(allowedEnvPatterns([], {}), [])
})

t.test('the view holds the allowed variables that are set, and refuses the others by name', async (t) => {
  const view = environmentView(env, ['CLUSTER_*', 'EMPTY', 'UNSET'])
  t.same(Object.entries(view), [['CLUSTER_CIDR', '10.0.0.0/16'], ['CLUSTER_MTU', '1400'], ['EMPTY', '']], 'sorted, own keys only')
  t.same(Object.entries(environmentView(env, [])), [], 'nothing by default')
  t.same(Object.entries(environmentView({ '.dot': '1', A: undefined, B: '2' }, ['*'])), [['.dot', '1'], ['B', '2']], '* allows every name; unset is absent')
  t.same(Object.keys(environmentView({ B: '1', A: '2', C: '3' }, ['*'])), ['A', 'B', 'C'], 'sorted whatever the order of the environment')
  const render = (code: string) => compileErb(`<%= ${code} %>`, 'cluster.yml.erb').render({ ENV: view })
  t.equal(render("ENV['CLUSTER_MTU']"), '1400')
  t.equal(render("ENV['UNSET']"), '', 'allowed but unset is nil')
  t.equal(render("ENV.fetch('UNSET', 'x')"), 'x')
  t.equal(render("ENV.key?('CLUSTER_CIDR')"), 'true')
  t.equal(render("ENV.key?('UNSET')"), 'false')
  t.equal(render('ENV.size'), '3', 'methods still work on ENV')
  t.equal(render('ENV.to_json'), '{"CLUSTER_CIDR":"10.0.0.0/16","CLUSTER_MTU":"1400","EMPTY":""}')
  t.throws(() => render("ENV.join('SECRET')"), { message: 'undefined method `join` for ENV (a Hash)' }, 'an argument to another method is not a key')
  for (const code of ["ENV['SECRET']", 'ENV.SECRET', "ENV.fetch('SECRET')", "ENV.fetch('SECRET', 'x')", "ENV.key?('SECRET')", "ENV['HOME'].to_s"]) {
    const name = code.includes('HOME') ? 'HOME' : 'SECRET'
    t.throws(() => render(code), { constructor: TemplateError, message: `ENV['${name}'] is not visible: cluster.yml.erb sees only the environment variables you allow`, hint: `allow it with --allow-env ${name} (repeatable, globs such as 'CLUSTER_*' work), or list it in PHAROS_NET_ALLOW_ENV=${name}` }, code)
  }
})
