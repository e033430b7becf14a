//! systemd's D-Bus API (org.freedesktop.systemd1.Manager): a transient scope with
//! `Delegate=yes` for the harness, bound to the caller's unit.
//!
//! `StartTransientUnit("cgharness-<pid>.scope", "fail", …)` with `PIDs=[self]`,
//! `Delegate=yes`, `BindsTo=`/`After=` the unit `GetUnitByPID(self)` names and `Slice=` that
//! unit's slice, so stopping the caller (a CI job's service, a login session) stops the scope
//! and every process in it. The call returns a job; the scope is used only once that job is
//! gone and the unit is active. The caller unit's resource limits are read here and carried
//! onto the scope ([`super::caps`]); a user manager's `Delegate=` is read here too. This file
//! talks D-Bus and nothing else.

use super::caps::{is_unset, Prop, PropValue, PROPS};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use zbus::blocking::{Connection, Proxy};
use zbus::zvariant::{OwnedObjectPath, Value};

const DEST: &str = "org.freedesktop.systemd1";
const MANAGER_PATH: &str = "/org/freedesktop/systemd1";
const MANAGER: &str = "org.freedesktop.systemd1.Manager";
const UNIT: &str = "org.freedesktop.systemd1.Unit";
const JOB: &str = "org.freedesktop.systemd1.Job";

/// Errors of talking to systemd.
#[derive(Debug, thiserror::Error)]
pub enum SystemdError {
    /// A D-Bus call failed.
    #[error("systemd D-Bus {what}: {source}")]
    Bus {
        /// What was asked.
        what: String,
        /// The error.
        source: Box<zbus::Error>,
    },
    /// The scope's start job did not finish in time.
    #[error("systemd did not finish starting {unit} within {waited_ms} ms")]
    JobTimeout {
        /// The unit.
        unit: String,
        /// How long we waited.
        waited_ms: u128,
    },
    /// The scope did not become active.
    #[error("systemd started {unit} but it is {state}, not active")]
    NotActive {
        /// The unit.
        unit: String,
        /// Its ActiveState.
        state: String,
    },
}

fn bus(what: impl Into<String>) -> impl FnOnce(zbus::Error) -> SystemdError {
    let what = what.into();
    move |source| SystemdError::Bus {
        what,
        source: Box::new(source),
    }
}

/// A proxy that reads properties afresh on every call (no cache, no signal subscription).
fn proxy<'a>(conn: &Connection, path: &'a str, iface: &'a str) -> zbus::Result<Proxy<'a>> {
    zbus::blocking::proxy::Builder::new(conn)
        .destination(DEST)?
        .path(path)?
        .interface(iface)?
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
}

/// The transient scope the harness now runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Its unit name.
    pub unit: String,
    /// The caller's unit it is bound to (None when systemd knows no unit for the caller).
    pub bound_to: Option<String>,
    /// Its cgroup, relative to the cgroup2 mount (`/system.slice/cgharness-42.scope`).
    pub cgroup: PathBuf,
}

fn connect(user: bool) -> Result<Connection, SystemdError> {
    if !user {
        return Connection::system().map_err(bus("connecting to the system bus"));
    }
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    let addr = std::env::var("DBUS_SESSION_BUS_ADDRESS")
        .unwrap_or_else(|_| format!("unix:path=/run/user/{uid}/bus"));
    zbus::blocking::connection::Builder::address(addr.as_str())
        .and_then(|b| b.build())
        .map_err(bus(format!("connecting to your user manager at {addr} (a login session or `loginctl enable-linger` starts it)")))
}

fn unit_prop(
    conn: &Connection,
    unit: &OwnedObjectPath,
    name: &str,
) -> Result<String, SystemdError> {
    let p = proxy(conn, unit.as_str(), UNIT).map_err(bus("unit proxy"))?;
    p.get_property::<String>(name)
        .map_err(bus(format!("reading {name} of {}", unit.as_str())))
}

/// The caller's unit and its slice (`session-3.scope`, `user-0.slice`), or None when
/// systemd has no unit for this process.
fn caller_unit(conn: &Connection, mgr: &Proxy) -> Option<(String, String)> {
    let path: OwnedObjectPath = mgr.call("GetUnitByPID", &(std::process::id())).ok()?;
    let id = unit_prop(conn, &path, "Id").ok()?;
    // Slice is a property of services, scopes and sockets; read it through the unit's own
    // interface name, derived from its suffix.
    let Some(kind) = kind_interface(&id).filter(|k| !k.ends_with("Slice")) else {
        return Some((id, String::new()));
    };
    let p = proxy(conn, path.as_str(), kind).ok()?;
    let slice = p.get_property::<String>("Slice").unwrap_or_default();
    Some((id, slice))
}

/// The unit the system manager says this process runs in, with its cgroup and the limits it
/// sets (see [`super::caps`]), or None when systemd knows no unit for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerUnit {
    /// Unit name (`ci-job.service`).
    pub id: String,
    /// Its cgroup, relative to the mount.
    pub cgroup: PathBuf,
    /// Its limits that are set, by systemd property name.
    pub limits: Vec<(&'static str, PropValue)>,
}

/// The D-Bus interface of a unit's kind (resource-control properties live there).
fn kind_interface(id: &str) -> Option<&'static str> {
    match id.rsplit('.').next()? {
        "service" => Some("org.freedesktop.systemd1.Service"),
        "scope" => Some("org.freedesktop.systemd1.Scope"),
        "socket" => Some("org.freedesktop.systemd1.Socket"),
        "slice" => Some("org.freedesktop.systemd1.Slice"),
        _ => None,
    }
}

fn read_limit(p: &Proxy, prop: &Prop) -> Option<PropValue> {
    match prop.sig {
        "t" => p.get_property::<u64>(prop.name).ok().map(PropValue::U64),
        "ay" => p
            .get_property::<Vec<u8>>(prop.name)
            .ok()
            .map(PropValue::Mask),
        _ => p
            .get_property::<Vec<(String, u64)>>(prop.name)
            .ok()
            .map(PropValue::Devices),
    }
}

/// Looks up the unit `user`'s manager (or the system's) runs this process in and hands its
/// name and a proxy on its kind's interface (where resource-control properties live) to `f`.
fn with_own_unit<T>(user: bool, f: impl FnOnce(String, &Proxy) -> Option<T>) -> Option<T> {
    let conn = connect(user).ok()?;
    let mgr = proxy(&conn, MANAGER_PATH, MANAGER).ok()?;
    let path: OwnedObjectPath = mgr.call("GetUnitByPID", &(std::process::id())).ok()?;
    let id = unit_prop(&conn, &path, "Id").ok()?;
    let p = proxy(&conn, path.as_str(), kind_interface(&id)?).ok()?;
    f(id, &p)
}

/// The caller's unit in the system manager and the limits it sets (read over the system
/// bus, which any user may read). None when there is no system bus or no unit.
pub fn caller_unit_limits() -> Option<CallerUnit> {
    with_own_unit(false, |id, p| {
        let cgroup: String = p.get_property("ControlGroup").ok()?;
        let limits = PROPS
            .iter()
            .filter_map(|prop| {
                let v = read_limit(p, prop)?;
                (!is_unset(prop, &v)).then_some((prop.name, v))
            })
            .collect();
        Some(CallerUnit {
            id,
            cgroup: PathBuf::from(cgroup),
            limits,
        })
    })
}

/// Whether the unit this process runs in, as `user`'s manager (or the system's) knows it,
/// has `Delegate=yes`; returns its name and cgroup (relative to the mount). systemd's user
/// manager (Debian 13's 257 included) marks delegated cgroups with no xattr, so this is how a
/// process in `systemd-run --user --scope -p Delegate=yes` learns it was delegated.
pub fn own_unit_delegated(user: bool) -> Option<(String, PathBuf)> {
    with_own_unit(user, |id, p| {
        let delegate: bool = p.get_property("Delegate").ok()?;
        let cgroup: String = p.get_property("ControlGroup").ok()?;
        (delegate && !cgroup.is_empty()).then(|| (id, PathBuf::from(cgroup)))
    })
}

fn to_value(v: &PropValue) -> Value<'static> {
    match v {
        PropValue::U64(x) => Value::from(*x),
        PropValue::Mask(m) => Value::from(m.clone()),
        PropValue::Devices(d) => Value::from(d.clone()),
    }
}

/// Asks systemd for `cgharness-<pid>.scope` holding this process, delegated, bound to the
/// caller's unit when `bind` (not when this process is alone in a scope: the scope would end
/// as soon as the process left it, and take the new one with it), carrying `limits` (the
/// caller unit's), and waits until it is active. `user` talks to the user's manager.
pub fn start_scope(
    user: bool,
    bind: bool,
    limits: &[(&'static str, PropValue)],
    timeout: Duration,
) -> Result<Scope, SystemdError> {
    let conn = connect(user)?;
    let mgr = proxy(&conn, MANAGER_PATH, MANAGER).map_err(bus("manager proxy"))?;
    let pid = std::process::id();
    let unit = format!("cgharness-{pid}.scope");
    let caller = caller_unit(&conn, &mgr).filter(|_| bind);
    let mut props: Vec<(&str, Value)> = vec![
        (
            "Description",
            Value::from(format!("cgharness run (pid {pid})")),
        ),
        ("PIDs", Value::from(vec![pid])),
        ("Delegate", Value::from(true)),
        ("CollectMode", Value::from("inactive-or-failed")),
    ];
    props.extend(limits.iter().map(|(name, v)| (*name, to_value(v))));
    if let Some((id, slice)) = &caller {
        props.push(("BindsTo", Value::from(vec![id.clone()])));
        props.push(("After", Value::from(vec![id.clone()])));
        if !slice.is_empty() {
            props.push(("Slice", Value::from(slice.clone())));
        }
    }
    let aux: Vec<(&str, Vec<(&str, Value)>)> = Vec::new();
    let job: OwnedObjectPath = mgr
        .call("StartTransientUnit", &(unit.as_str(), "fail", props, aux))
        .map_err(bus(format!("StartTransientUnit {unit}")))?;
    wait_job_gone(&conn, &job, &unit, timeout)?;
    let path: OwnedObjectPath = mgr
        .call("GetUnit", &(unit.as_str()))
        .map_err(bus(format!("GetUnit {unit}")))?;
    let state = unit_prop(&conn, &path, "ActiveState")?;
    if state != "active" {
        return Err(SystemdError::NotActive { unit, state });
    }
    let cgp = proxy(&conn, path.as_str(), "org.freedesktop.systemd1.Scope")
        .map_err(bus("scope proxy"))?;
    let cgroup: String = cgp
        .get_property("ControlGroup")
        .map_err(bus(format!("reading ControlGroup of {unit}")))?;
    Ok(Scope {
        unit,
        bound_to: caller.map(|c| c.0),
        cgroup: PathBuf::from(cgroup),
    })
}

/// Polls the job object until systemd has removed it (the job finished).
fn wait_job_gone(
    conn: &Connection,
    job: &OwnedObjectPath,
    unit: &str,
    timeout: Duration,
) -> Result<(), SystemdError> {
    let start = Instant::now();
    loop {
        let alive = proxy(conn, job.as_str(), JOB)
            .and_then(|p| p.get_property::<String>("State"))
            .is_ok();
        if !alive {
            return Ok(());
        }
        if start.elapsed() > timeout {
            return Err(SystemdError::JobTimeout {
                unit: unit.to_string(),
                waited_ms: start.elapsed().as_millis(),
            });
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
