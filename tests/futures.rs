//! The `futures` feature: `Stream` and `Sink` on the rings and the write
//! context, driven by `futures`' `StreamExt`/`SinkExt` combinators and
//! inside a tokio runtime (multi-threaded: producers and consumers on
//! different worker threads), every item counted.
#![cfg(all(feature = "futures", not(loom), not(miri)))]

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use handoff::write::{Status, WriteContext};
use handoff::{mpsc, spsc, Closed};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spsc_stream_and_sink_in_tokio() {
    let n = 20_000u64;
    let (mut tx, rx) = spsc::channel::<u64>(16);
    let producer = tokio::spawn(async move {
        for i in 0..n {
            tx.send(i).await.unwrap();
        }
        // Closing the sink is dropping the producer.
    });
    let got: Vec<u64> = rx.collect().await;
    producer.await.unwrap();
    assert_eq!(got, (0..n).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mpsc_stream_and_sinks_in_tokio() {
    let n = 10_000u64;
    let (tx, mut rx) = mpsc::channel::<u64>(8);
    let producers: Vec<_> = (0..3u64)
        .map(|p| {
            let mut tx = tx.clone();
            tokio::spawn(async move {
                let mut items = futures::stream::iter((0..n).map(move |i| Ok(p * n + i)));
                tx.send_all(&mut items).await.unwrap();
            })
        })
        .collect();
    drop(tx);
    let mut got = Vec::new();
    // `while let Some(x) = rx.next().await`, the README's shape.
    while let Some(v) = rx.next().await {
        got.push(v);
    }
    for p in producers {
        p.await.unwrap();
    }
    got.sort_unstable();
    assert_eq!(got, (0..3 * n).collect::<Vec<_>>());
}

/// A `Sink` whose consumer is gone says `Closed` (the item is dropped).
#[tokio::test]
async fn sinks_report_a_closed_ring() {
    let (mut tx, rx) = spsc::channel::<u8>(1);
    drop(rx);
    assert_eq!(tx.send(1).await, Err(Closed));
    let (mut tx, rx) = mpsc::channel::<u8>(1);
    tx.send(1).await.unwrap();
    tx.feed(2).await.unwrap(); // held by the sink: the ring is full
    drop(rx);
    assert_eq!(tx.flush().await, Err(Closed));
}

/// Frames sent through a write context's sink from several tasks reach a
/// real TCP peer whole and in each task's order; back-pressure (a queue of
/// two frames) makes the sinks wait, not fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_context_sink_over_tcp() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let reader = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        all
    });
    let stream = TcpStream::connect(addr).unwrap();
    let config = handoff::write::WriteConfig::new().queue_capacity(2);
    let ctx = Arc::new(WriteContext::<TcpStream, Vec<u8>>::with_config(stream, config).unwrap());
    let tasks: Vec<_> = (0..3u8)
        .map(|t| {
            let ctx = Arc::clone(&ctx);
            tokio::spawn(async move {
                let mut sink = ctx.sink();
                for i in 0..200u8 {
                    sink.send(vec![t, i]).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(ctx.flush(), Status::Written);
    drop(Arc::into_inner(ctx).expect("the tasks are done"));
    let all = reader.join().unwrap();
    assert_eq!(all.len(), 3 * 200 * 2);
    let mut next = [0u8; 3];
    for frame in all.chunks(2) {
        let t = usize::from(frame[0]);
        assert_eq!(frame[1], next[t], "task {t}'s frames in order");
        next[t] += 1;
    }
    assert_eq!(next, [200; 3]);
}
