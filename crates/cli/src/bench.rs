//! `hearth-cli bench`: llama-bench's tests (`pp` prompt processing, `tg` generation) measured
//! through the worker as the app uses it, with llama-bench's JSON fields and Markdown table.
//! `--sampled` adds a third test: generation through the real chat path (sampling, stop-string
//! checks, streaming over the pipe), timed at the receiving end.

use std::time::Instant;

use anyhow::bail;
use clap::{Args, ValueEnum};
use hearth_engine::{EngineClient, GenerationEvent, Input, ModelInfo, SamplingParams};
use serde::Serialize;

use crate::options::ModelArgs;

/// Output formats, as llama-bench's `-o`.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Output {
    Md,
    Json,
}

/// Options of `hearth-cli bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Prompt tokens for the pp test (0 skips it).
    #[arg(short = 'p', long = "n-prompt", default_value_t = 512)]
    n_prompt: u32,
    /// Generated tokens for the tg test (0 skips it).
    #[arg(short = 'n', long = "n-gen", default_value_t = 128)]
    n_gen: u32,
    /// Repetitions of each test.
    #[arg(short = 'r', long, default_value_t = 5)]
    repetitions: u32,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Md)]
    output: Output,
    /// Also time generation through the chat path, with the app's default sampling.
    #[arg(long)]
    sampled: bool,
}

/// One test's results, named as llama-bench names them.
#[derive(Serialize)]
struct TestResult {
    model_filename: String,
    model_type: String,
    model_size: u64,
    model_n_params: u64,
    backends: &'static str,
    /// The ggml CPU variant the worker loaded (`zen4`, `haswell` ...), when it could tell.
    cpu_variant: Option<String>,
    n_batch: u32,
    n_threads: u32,
    n_prompt: u32,
    n_gen: u32,
    sampling: bool,
    avg_ns: u64,
    stddev_ns: u64,
    avg_ts: f64,
    stddev_ts: f64,
    samples_ns: Vec<u64>,
    samples_ts: Vec<f64>,
}

pub async fn run(mut args: BenchArgs, data_dir: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    if args.repetitions == 0 {
        bail!("repetitions (-r) must be at least 1");
    }
    if args.n_prompt == 0 && args.n_gen == 0 {
        bail!("nothing to measure: -p and -n are both 0");
    }
    if args.model.ctx.is_none() {
        args.model.ctx = Some((args.n_prompt + args.n_gen).max(256));
    }
    let n_batch = *args.model.batch.get_or_insert(2048);
    let (path, load) = args.model.resolve(data_dir.as_deref())?;
    let engine = EngineClient::from_environment()?;
    let info = engine.load(&path, load).await?;
    let result = |n_prompt, n_gen, sampling, samples_ns: Vec<u64>| {
        summarize(&args, &info, n_batch, n_prompt, n_gen, sampling, samples_ns)
    };

    let mut results = Vec::new();
    if args.n_prompt > 0 {
        engine.bench(args.n_prompt, 0).await?; // warm-up, as llama-bench does
        let mut samples = Vec::new();
        for _ in 0..args.repetitions {
            samples.push(engine.bench(args.n_prompt, 0).await?.0 * 1000);
        }
        results.push(result(args.n_prompt, 0, false, samples));
    }
    if args.n_gen > 0 {
        engine.bench(0, 1).await?;
        let mut samples = Vec::new();
        for _ in 0..args.repetitions {
            samples.push(engine.bench(0, args.n_gen).await?.1 * 1000);
        }
        results.push(result(0, args.n_gen, false, samples));
        if args.sampled {
            sampled_generation(&engine, 1).await?;
            let mut samples = Vec::new();
            for _ in 0..args.repetitions {
                samples.push(sampled_generation(&engine, args.n_gen).await?);
            }
            results.push(result(0, args.n_gen, true, samples));
        }
    }
    engine.shutdown().await;
    match args.output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&results)?),
        Output::Md => print_table(&results),
    }
    Ok(())
}

/// Nanoseconds to generate `n_gen` tokens after the first, as the app receives them: from the
/// first token's arrival to the last's, with the app's default sampling settings.
async fn sampled_generation(engine: &EngineClient, n_gen: u32) -> anyhow::Result<u64> {
    let params = SamplingParams {
        max_tokens: n_gen + 1,
        ignore_eos: true,
        seed: Some(42),
        ..SamplingParams::default()
    };
    let prompt = "Once upon a time, in a small village by the sea, there lived".to_owned();
    let mut generation = engine.generate(Input::Raw { prompt }, params).await?;
    let mut first: Option<Instant> = None;
    let mut last = Instant::now();
    while let Some(step) = generation.next().await {
        match step? {
            GenerationEvent::Token(_) => {
                last = Instant::now();
                first.get_or_insert(last);
            }
            GenerationEvent::Done(done) => {
                if done.timings.generated_tokens != n_gen + 1 {
                    bail!(
                        "generation stopped after {} tokens",
                        done.timings.generated_tokens
                    );
                }
            }
        }
    }
    let first = first.unwrap_or(last);
    Ok(u64::try_from(last.duration_since(first).as_nanos()).unwrap_or(u64::MAX))
}

fn summarize(
    args: &BenchArgs,
    info: &ModelInfo,
    n_batch: u32,
    n_prompt: u32,
    n_gen: u32,
    sampling: bool,
    samples_ns: Vec<u64>,
) -> TestResult {
    let tokens = f64::from(n_prompt + n_gen);
    let samples_ts: Vec<f64> = samples_ns
        .iter()
        .map(|&ns| tokens * 1e9 / ns.max(1) as f64)
        .collect();
    let ns: Vec<f64> = samples_ns.iter().map(|&n| n as f64).collect();
    TestResult {
        model_filename: args.model.model.clone(),
        model_type: format!("{} {}", info.architecture, params_label(info.n_params)),
        model_size: info.size_bytes,
        model_n_params: info.n_params,
        backends: "CPU",
        cpu_variant: info.cpu_backend.clone(),
        n_batch,
        n_threads: info.n_threads,
        n_prompt,
        n_gen,
        sampling,
        avg_ns: mean(&ns) as u64,
        stddev_ns: stddev(&ns) as u64,
        avg_ts: mean(&samples_ts),
        stddev_ts: stddev(&samples_ts),
        samples_ns,
        samples_ts,
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// Sample standard deviation, as llama-bench computes it.
fn stddev(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return 0.0;
    }
    let m = mean(v);
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

fn params_label(n: u64) -> String {
    if n >= 1_000_000_000 {
        format!("{:.1}B", n as f64 / 1e9)
    } else {
        format!("{}M", n / 1_000_000)
    }
}

fn print_table(results: &[TestResult]) {
    println!("| model | size | params | backend | threads | test | t/s |");
    println!("| --- | ---: | ---: | --- | ---: | --- | ---: |");
    for r in results {
        let test = match (r.n_prompt, r.sampling) {
            (p, _) if p > 0 => format!("pp{p}"),
            (_, false) => format!("tg{}", r.n_gen),
            (_, true) => format!("tg{} sampled+streamed", r.n_gen),
        };
        println!(
            "| {} | {:.2} MiB | {:.2} M | {} | {} | {} | {:.2} ± {:.2} |",
            r.model_type,
            r.model_size as f64 / (1024.0 * 1024.0),
            r.model_n_params as f64 / 1e6,
            match &r.cpu_variant {
                Some(variant) => format!("{} ({variant})", r.backends),
                None => r.backends.to_owned(),
            },
            r.n_threads,
            test,
            r.avg_ts,
            r.stddev_ts
        );
    }
}
