import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from './helpers.js';

// Worker threads run the built interpreter (dist/thread-worker.js); the root `pnpm test` builds first.
describe('§12.6 thread_spawn on real worker threads', () => {
  it('two workers talk through a channel; results come back through thread_join', async () => {
    const dir = tempDir({
      'main.braw': `fetch "stdlib/concurrency"
ken ch = make_chan(0)
dae producer(c, n) {
    fer i in 0..n { chan_send(c, {"i": i, "sq": i * i}) }
    gie "sent " + n
}
dae consumer(c, n) {
    ken total = 0
    fer i in 0..n {
        ken m = chan_recv(c)
        total = total + m["sq"]
    }
    gie [total, 2.5, bytes(3)]
}
ken p = spawn_thread(producer, [ch, 10])
ken c = spawn_thread(consumer, [ch, 10])
blether join_thread(p)
ken r = join_thread(c)
blether r
blether whit_kind(r[1])
`,
    });
    const res = await runFile(join(dir, 'main.braw'));
    expect(res.error).toBeNull();
    expect(res.out).toBe('sent 10\n[285, 2.5, bytes[3]]\nfloat\n');
  });

  it('lambdas, builtins and shared atomics/mutexes across threads', async () => {
    const dir = tempDir({
      'main.braw': `ken counter = atomic_new(0)
ken m = mutex_new()
ken shared = chan_new(0)
ken work = |n| {
    fer i in 0..n {
        atomic_add(counter, 1)
    }
    mutex_lock(m)
    chan_send(shared, n)
    mutex_unlock(m)
    gie n
}
ken ts = []
fer k in [100, 200, 300] { shove(ts, thread_spawn(work, [k])) }
ken total = 0
fer t in ts { total = total + thread_join(t) }
blether total
blether atomic_load(counter)
ken got = []
fer i in 0..3 { shove(got, chan_recv(shared)) }
blether sort(got)
blether thread_join(thread_spawn(len, ["héllo"]))
ken d = thread_spawn(len, [[1]])
thread_detach(d)
hae_a_bash { thread_join(d) } gin_it_gangs_wrang e { blether "detached" }
hae_a_bash { thread_join(thread_spawn(|x| x / 0, [1])) } gin_it_gangs_wrang e { blether contains(e, "divide") }
`,
    });
    const res = await runFile(join(dir, 'main.braw'));
    expect(res.error).toBeNull();
    expect(res.out).toBe('600\n600\n[100, 200, 300]\n6\ndetached\naye\n');
  });
});

async function runFile(path: string) {
  const { readFileSync } = await import('node:fs');
  return run(readFileSync(path, 'utf8'), {}, path);
}
