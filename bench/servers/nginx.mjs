// nginx proxy_pass to the same upstream: the floor a relay in front of ingestion is compared with.
// Writes a throwaway configuration, runs nginx in the foreground, and says "listening" once it accepts.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { port, upstream } from './common.mjs';

const prefix = mkdtempSync(join(tmpdir(), 'postern-bench-nginx-'));
const target = new URL(upstream);
writeFileSync(
  join(prefix, 'nginx.conf'),
  `user root;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log stderr error;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  upstream ingest { server ${target.host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location /debugbundle/browser {
      proxy_pass http://ingest${target.pathname};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer bench-token";
    }
  }
}
`,
);
const nginx = spawn(
  'nginx',
  ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'],
  { stdio: 'inherit' },
);
process.on('SIGTERM', () => nginx.kill('SIGTERM'));
nginx.once('exit', (code) => process.exit(code ?? 0));
const probe = () => {
  const socket = connect(port, '127.0.0.1');
  socket.once('connect', () => {
    socket.destroy();
    console.log('listening');
  });
  socket.once('error', () => setTimeout(probe, 50));
};
probe();
