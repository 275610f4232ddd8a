//! The batch steps' one way of spreading pure work over threads: the input is cut into one
//! contiguous group per thread and the results come back in input order, so what is written
//! never depends on the number of threads.

use crate::AppError;

/// The threads to use: all cores.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `f` over `items` on `threads` threads, results in the order of `items`; the first error
/// (in that order) wins.
pub fn map<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    f: impl Fn(T) -> Result<R, AppError> + Sync,
) -> Result<Vec<R>, AppError> {
    let chunk = items.len().div_ceil(threads.max(1)).max(1);
    let mut items = items;
    let mut groups = Vec::new();
    while !items.is_empty() {
        let rest = items.split_off(chunk.min(items.len()));
        groups.push(std::mem::replace(&mut items, rest));
    }
    let f = &f;
    let results: Vec<Result<Vec<R>, AppError>> = std::thread::scope(|s| {
        let handles: Vec<_> = groups.into_iter().map(|group| s.spawn(move || group.into_iter().map(f).collect())).collect();
        handles.into_iter().map(|h| h.join().expect("a batch worker panicked")).collect()
    });
    let mut out = Vec::new();
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn order_is_kept_whatever_the_threads() {
        let items: Vec<u32> = (0..1000).collect();
        for threads in [1, 2, 3, 7, 2000] {
            let out = super::map(items.clone(), threads, |x| Ok(x * 2)).unwrap();
            assert_eq!(out, (0..1000).map(|x| x * 2).collect::<Vec<_>>(), "{threads} threads");
        }
        assert!(super::map(Vec::<u32>::new(), 4, Ok).unwrap().is_empty());
        let err = super::map(items, 3, |x| if x >= 500 { Err(crate::AppError::invalid("x", x.to_string())) } else { Ok(x) });
        assert_eq!(err.unwrap_err().to_string(), "x: 500", "the first error in input order");
    }
}
