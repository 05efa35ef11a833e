// SPDX-License-Identifier: GPL-2.0

//! fwctl_rust_mock: the fwctl npm package's test driver written against the
//! kernel's Rust fwctl abstraction (`rust/kernel/fwctl.rs`, Linux 7.3).
//!
//! It speaks the generic protocol of the C mock (`test/kernel/mock`,
//! PROTOCOL.md) wherever the abstraction allows, so the package's core
//! contract tests run unchanged against both; README.md next to this file
//! lists what differs and why.
//!
//! Each device is a faux device (`fwctl-rust<K>`) with a fwctl device
//! registered under it through `fwctl::Registration`. Control: debugfs
//! `/sys/kernel/debug/fwctl_rust_mock/ctl`, the same commands as the C mock
//! (`add [type=N] [datalen=L] [opendelay=MS]`, `del fwctlN`, read to list).
//!
//! Locking: `Ctl::devs` is held only to link or unlink a device, never while
//! registering or unregistering: dropping a `Registration` runs
//! `fwctl_unregister()`, which waits for every RPC in flight (a SLEEP may
//! last a minute). Whoever unlinks a device drops it.

use core::fmt;
use kernel::{
    debugfs::{Dir, File, Reader, Writer},
    device, faux, fwctl,
    prelude::*,
    str::CString,
    sync::{
        aref::ARef,
        atomic::{Atomic, Relaxed},
        new_mutex, Mutex,
    },
    time::{delay::fsleep, Delta, Instant, Monotonic},
    uaccess::UserSliceReader,
};

module! {
    type: RustMock,
    name: "fwctl_rust_mock",
    authors: ["fwctl npm package"],
    description: "fwctl test driver on the kernel's Rust fwctl abstraction (no hardware)",
    license: "GPL",
    imports_ns: ["FWCTL"],
    params: {
        ndevs: u32 {
            default: 1,
            description: "devices created at load (default 1, at most 64)",
        },
        r#type: u32 {
            default: 2,
            description: "default fwctl device_type, 1..4 only (default 2, CXL)",
        },
        datalen: u32 {
            default: 16,
            description: "default FWCTL_INFO device_data length (default 16)",
        },
    },
}

const HDR: usize = 16;
const MAX_DATALEN: u32 = 1 << 20;
const MAX_FILL: u32 = 16 << 20;
const MAX_SLEEP_MS: u32 = 60000;
const FAIL_ERRNO_LIMIT: u32 = 512;
const MAX_NDEVS: u32 = 64;
const CTL_MAX: usize = 256;

const OP_ECHO: u32 = 0;
const OP_TRANSFORM: u32 = 1;
const OP_FAIL: u32 = 2;
const OP_FILL: u32 = 3;
const OP_SLEEP: u32 = 4;
const OP_SCOPE: u32 = 5;
/// Rust only: answer `FwRpcResponse::InPlace(arg)`, the first `arg` bytes of
/// the request buffer as they are. The abstraction refuses `arg > in_len`
/// (EINVAL); the C core has no such check (a C driver could make it read
/// past the request buffer).
const OP_INPLACE: u32 = 8;

const T_MLX5: u32 = fwctl::DeviceType::Mlx5 as u32;
const T_CXL: u32 = fwctl::DeviceType::Cxl as u32;
const T_BNXT: u32 = fwctl::DeviceType::Bnxt as u32;
const T_PDS: u32 = fwctl::DeviceType::Pds as u32;

/// The abstraction's device type is a per-`Operations` constant drawn from a
/// closed enum: one `Operations` type per number, and only these four.
const fn device_type(ty: u32) -> fwctl::DeviceType {
    match ty {
        T_MLX5 => fwctl::DeviceType::Mlx5,
        T_CXL => fwctl::DeviceType::Cxl,
        T_BNXT => fwctl::DeviceType::Bnxt,
        T_PDS => fwctl::DeviceType::Pds,
        _ => panic!("no fwctl::DeviceType for this number"),
    }
}

/// Immutable after registration but for the open counter.
struct DevData {
    datalen: u32,
    open_delay_ms: u32,
    next_uctx_id: Atomic<u32>,
}

/// The per-fd context (the abstraction makes the `Operations` type the uctx).
#[pin_data]
struct Uctx<const TY: u32> {
    id: u32,
    rpc_count: Atomic<u32>,
}

fn le32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

/// Sleep `ms` milliseconds (monotonic clock) in slices of at most 10 ms,
/// stopping with EINTR on a pending signal. The C mock stops on fatal
/// signals only: `Task` offers `signal_pending()` but no
/// `fatal_signal_pending()` in 7.3 (see README.md).
fn sleep_ms(ms: u32) -> Result {
    let start = Instant::<Monotonic>::now();
    loop {
        let left = ms as i64 - start.elapsed().as_millis();
        if left <= 0 {
            return Ok(());
        }
        if kernel::current!().signal_pending() {
            return Err(EINTR);
        }
        fsleep(Delta::from_millis(if left > 10 { 10 } else { left }));
    }
}

impl<const TY: u32> fwctl::Operations for Uctx<TY> {
    type RegistrationData<'a> = DevData;
    const DEVICE_TYPE: fwctl::DeviceType = device_type(TY);

    fn open<'a>(
        _device: &fwctl::Device<Self>,
        reg: &DevData,
    ) -> impl PinInit<Self, Error> {
        if reg.open_delay_ms > 0 {
            // Like msleep_interruptible(): a signal ends the wait early, open() goes on.
            let _ = sleep_ms(reg.open_delay_ms);
        }
        let id = reg.next_uctx_id.fetch_add(1, Relaxed) + 1;
        try_pin_init!(Self {
            id,
            rpc_count: Atomic::new(0),
        })
    }

    fn info<'a>(
        _this: Pin<&Self>,
        _device: &fwctl::Device<Self>,
        reg: &DevData,
    ) -> Result<KVec<u8>> {
        let n = reg.datalen as usize;
        let mut v = KVec::with_capacity(n, GFP_KERNEL)?;
        for i in 0..n {
            v.push(((i * 31 + 7) & 0xff) as u8, GFP_KERNEL)?;
        }
        Ok(v)
    }

    fn fw_rpc<'a>(
        this: Pin<&Self>,
        _device: &fwctl::Device<Self>,
        _reg: &DevData,
        scope: fwctl::RpcScope,
        buf: &mut [u8],
        _max_output_len: usize,
    ) -> Result<fwctl::FwRpcResponse> {
        let count = this.rpc_count.fetch_add(1, Relaxed) + 1;
        if buf.len() < HDR {
            return Err(EINVAL);
        }
        let op = le32(buf, 0);
        let arg = le32(buf, 4);
        let plen = buf.len() - HDR;
        match op {
            OP_ECHO | OP_SLEEP => {
                if op == OP_SLEEP {
                    if arg > MAX_SLEEP_MS {
                        return Err(EINVAL);
                    }
                    sleep_ms(arg)?;
                }
                buf.copy_within(HDR.., 0);
                Ok(fwctl::FwRpcResponse::InPlace(plen))
            }
            OP_TRANSFORM => {
                for i in 0..plen {
                    buf[i] = !buf[HDR + i];
                }
                Ok(fwctl::FwRpcResponse::InPlace(plen))
            }
            OP_FAIL => {
                if arg < 1 || arg >= FAIL_ERRNO_LIMIT {
                    return Err(EINVAL);
                }
                Err(Error::from_errno(-(arg as i32)))
            }
            OP_FILL => {
                if arg > MAX_FILL {
                    return Err(EINVAL);
                }
                // A new buffer, larger than the request: the core kvfree()s it.
                let n = arg as usize;
                let mut v = KVVec::with_capacity(n, GFP_KERNEL)?;
                for i in 0..n {
                    v.push(((i * 13 + 1) & 0xff) as u8, GFP_KERNEL)?;
                }
                Ok(fwctl::FwRpcResponse::NewBuffer(v))
            }
            OP_SCOPE => {
                let words = [scope as u32, this.id, count, TY];
                for (i, w) in words.iter().enumerate() {
                    buf[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
                }
                Ok(fwctl::FwRpcResponse::InPlace(HDR))
            }
            OP_INPLACE => Ok(fwctl::FwRpcResponse::InPlace(arg as usize)),
            _ => Err(EINVAL),
        }
    }
}

/// A registered device of any type (the `Operations` type differs per type).
trait MockDev: Send + Sync {
    fn name(&self) -> &CStr;
    fn parent(&self) -> &CStr;
    fn ty(&self) -> u32;
    fn datalen(&self) -> u32;
}

struct Dev<const TY: u32> {
    /// Dropped first (see `Drop`): unregisters, waiting for RPCs in flight.
    reg: Option<fwctl::Registration<'static, Uctx<TY>>>,
    fwdev: ARef<fwctl::Device<Uctx<TY>>>,
    datalen: u32,
    /// The parent; outlives `reg`, which borrows it.
    fdev: faux::Registration,
}

impl<const TY: u32> Dev<TY> {
    fn new(name: &CStr, datalen: u32, open_delay_ms: u32) -> Result<Self> {
        let fdev = faux::Registration::new(name, None)?;
        let parent: &device::Device<device::Bound> = fdev.as_ref().as_ref();
        // SAFETY: the faux device is bound until `fdev` is dropped, and `Dev`'s
        // `Drop` drops `reg` (the only user of this reference) before `fdev`.
        let parent: &'static device::Device<device::Bound> = unsafe { &*core::ptr::from_ref(parent) };
        let fwdev = fwctl::Device::<Uctx<TY>>::new(parent)?;
        let data = DevData {
            datalen,
            open_delay_ms,
            next_uctx_id: Atomic::new(0),
        };
        // SAFETY: `fwdev` is new and unregistered, registered once, here; the
        // `Registration` is kept in `Dev` and dropped by `Dev`'s `Drop`.
        let reg = unsafe { fwctl::Registration::new(parent, &fwdev, Ok::<_, Error>(data))? };
        Ok(Self {
            reg: Some(reg),
            fwdev,
            datalen,
            fdev,
        })
    }
}

impl<const TY: u32> Drop for Dev<TY> {
    fn drop(&mut self) {
        // fwctl_unregister(): waits for in-flight ops; open fds then get ENODEV.
        drop(self.reg.take());
        // Then `fwdev` (fwctl_put) and `fdev` (faux_device_destroy), in field order.
    }
}

impl<const TY: u32> MockDev for Dev<TY> {
    fn name(&self) -> &CStr {
        let d: &device::Device = self.fwdev.as_ref();
        d.name()
    }
    fn parent(&self) -> &CStr {
        let d: &device::Device = self.fdev.as_ref().as_ref();
        d.name()
    }
    fn ty(&self) -> u32 {
        TY
    }
    fn datalen(&self) -> u32 {
        self.datalen
    }
}

fn new_dev(ty: u32, name: &CStr, datalen: u32, open_delay_ms: u32) -> Result<KBox<dyn MockDev>> {
    Ok(match ty {
        T_MLX5 => KBox::new(Dev::<T_MLX5>::new(name, datalen, open_delay_ms)?, GFP_KERNEL)?,
        T_CXL => KBox::new(Dev::<T_CXL>::new(name, datalen, open_delay_ms)?, GFP_KERNEL)?,
        T_BNXT => KBox::new(Dev::<T_BNXT>::new(name, datalen, open_delay_ms)?, GFP_KERNEL)?,
        T_PDS => KBox::new(Dev::<T_PDS>::new(name, datalen, open_delay_ms)?, GFP_KERNEL)?,
        // 0 (ERROR) and unknown numbers: fwctl::DeviceType cannot express them.
        _ => return Err(EINVAL),
    })
}

struct Devs {
    list: KVec<KBox<dyn MockDev>>,
    next_idx: u32,
}

#[pin_data]
struct Ctl {
    #[pin]
    devs: Mutex<Devs>,
}

/// kstrtou32(.., 0): decimal, 0x hex, leading-0 octal.
fn parse_u32(s: &str) -> Result<u32> {
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    u32::from_str_radix(digits, radix).map_err(|_| EINVAL)
}

impl Ctl {
    fn add(&self, ty: u32, datalen: u32, open_delay_ms: u32) -> Result {
        if datalen > MAX_DATALEN || open_delay_ms > MAX_SLEEP_MS {
            return Err(EINVAL);
        }
        let idx = {
            let mut g = self.devs.lock();
            g.next_idx += 1;
            g.next_idx - 1
        };
        let name = CString::try_from_fmt(fmt!("fwctl-rust{}", idx))?;
        let dev = new_dev(ty, &name, datalen, open_delay_ms)?;
        // On ENOMEM push() drops the new device under the lock: its unregister
        // then waits for RPCs a fast opener may have started (none take the lock).
        self.devs.lock().list.push(dev, GFP_KERNEL)?;
        Ok(())
    }

    fn del(&self, name: &str) -> Result {
        let dev = {
            let mut g = self.devs.lock();
            let pos = g
                .list
                .iter()
                .position(|d| d.name().to_bytes() == name.as_bytes())
                .ok_or(ENOENT)?;
            g.list.remove(pos)?
        };
        // Unlocked: this waits for the device's RPCs in flight.
        drop(dev);
        Ok(())
    }

    fn del_all(&self) {
        loop {
            let dev = {
                let mut g = self.devs.lock();
                match g.list.pop() {
                    Some(d) => d,
                    None => return,
                }
            };
            drop(dev);
        }
    }

    fn command(&self, line: &str) -> Result {
        let mut words = line.split_ascii_whitespace();
        match words.next() {
            Some("add") => {
                let mut ty = module_parameters::r#type.value();
                let mut datalen = module_parameters::datalen.value();
                let mut delay = 0;
                for w in words {
                    let (k, v) = w.split_once('=').ok_or(EINVAL)?;
                    match k {
                        "type" => ty = parse_u32(v)?,
                        "datalen" => datalen = parse_u32(v)?,
                        "opendelay" => delay = parse_u32(v)?,
                        "mode" if v == "generic" => {}
                        _ => return Err(EINVAL),
                    }
                }
                self.add(ty, datalen, delay)
            }
            Some("del") => {
                let name = words.next().ok_or(EINVAL)?;
                if words.next().is_some() {
                    return Err(EINVAL);
                }
                self.del(name)
            }
            _ => Err(EINVAL),
        }
    }
}

impl Reader for Ctl {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        let mut buf = [0u8; CTL_MAX];
        let n = reader.len();
        if n >= CTL_MAX {
            return Err(EINVAL);
        }
        reader.read_slice(&mut buf[..n])?;
        let line = core::str::from_utf8(&buf[..n]).map_err(|_| EINVAL)?;
        self.command(line)
    }
}

impl Writer for Ctl {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = self.devs.lock();
        for d in g.list.iter() {
            writeln!(
                f,
                "{} parent={} type={} datalen={} mode=generic",
                d.name().to_str().unwrap_or("?"),
                d.parent().to_str().unwrap_or("?"),
                d.ty(),
                d.datalen()
            )?;
        }
        Ok(())
    }
}

struct RustMock {
    /// Dropped first: the file goes (waiting for handlers), then `Ctl`.
    ctl: Pin<KBox<File<Ctl>>>,
    _dir: Dir,
}

impl kernel::Module for RustMock {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let ndevs = module_parameters::ndevs.value();
        let datalen = module_parameters::datalen.value();
        let ty = module_parameters::r#type.value();
        if ndevs > MAX_NDEVS || datalen > MAX_DATALEN || !(T_MLX5..=T_PDS).contains(&ty) {
            return Err(EINVAL);
        }
        let dir = Dir::new(c"fwctl_rust_mock");
        let ctl = KBox::pin_init(
            dir.read_write_file(
                c"ctl",
                try_pin_init!(Ctl {
                    devs <- new_mutex!(Devs { list: KVec::new(), next_idx: 0 }),
                }),
            ),
            GFP_KERNEL,
        )?;
        for _ in 0..ndevs {
            if let Err(e) = ctl.add(ty, datalen, 0) {
                ctl.del_all();
                return Err(e);
            }
        }
        Ok(Self { ctl, _dir: dir })
    }
}

impl Drop for RustMock {
    fn drop(&mut self) {
        self.ctl.del_all();
    }
}
