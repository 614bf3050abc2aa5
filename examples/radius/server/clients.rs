//! The clients file: who may send requests, with which shared secret, in a
//! subset of FreeRADIUS 3's `clients.conf`.
//!
//! ```text
//! client localhost {
//!     ipaddr = 127.0.0.1        # or ipv4addr / ipv6addr; a /prefix for a network
//!     secret = "testing123"
//!     proto = *                 # udp (the default), tcp, or * for both
//!     require_message_authenticator = no    # yes (the default) or no
//!     shortname = lo
//!     limit {                   # TCP connections only
//!         max_connections = 16  # at once; 0: no limit (default 16)
//!         idle_timeout = 30     # seconds without a request; 0: never (default 30)
//!         lifetime = 0          # seconds; 0: forever (default)
//!     }
//! }
//! ```
//!
//! As in FreeRADIUS: a section without an address is named by one
//! (`client 192.0.2.1 { secret = x }`); `ipv4addr = *` and `ipv6addr = *`
//! match every address of their family; the old `netmask = 24` sets the
//! prefix; the best match wins (the longest prefix, among the clients that
//! allow the packet's transport); two clients on the same network with a
//! transport in common are an error; `nas_type` is accepted and ignored.
//!
//! The subset: values are bare words or double-quoted strings (with `\"`
//! and `\\`); host names are not resolved; anything else (another key,
//! `$INCLUDE`, per-socket client lists, `virtual_server`) is an error,
//! so that nothing in the file is silently not enforced. One difference
//! on purpose: `require_message_authenticator` is on unless the file says
//! `no` (FreeRADIUS 3.2.1 left it off; later releases ask for it), since
//! without it a client's requests can be forged (BlastRADIUS).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

/// One client section.
#[derive(Debug)]
pub struct Client {
    pub name: String,
    /// The network, masked to `prefix` bits.
    net: IpAddr,
    prefix: u8,
    pub secret: Vec<u8>,
    pub udp: bool,
    pub tcp: bool,
    pub require_message_authenticator: bool,
    /// TCP connections at once, over every network thread; 0: no limit.
    pub max_connections: usize,
    /// TCP connections open now (the network threads count them).
    pub connections: AtomicUsize,
    pub idle_timeout: Option<Duration>,
    pub lifetime: Option<Duration>,
}

impl Client {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            net: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            prefix: 0,
            secret: Vec::new(),
            udp: true,
            tcp: false,
            require_message_authenticator: true,
            max_connections: 16,
            connections: AtomicUsize::new(0),
            idle_timeout: Some(Duration::from_secs(30)),
            lifetime: None,
        }
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                mask(ip.to_bits().into(), self.prefix, 32) == net.to_bits().into()
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                mask(ip.to_bits(), self.prefix, 128) == net.to_bits()
            }
            _ => false,
        }
    }
}

/// The top `prefix` of `bits` bits of `addr`.
fn mask(addr: u128, prefix: u8, bits: u8) -> u128 {
    match bits - prefix.min(bits) {
        0 => addr,
        n if n >= bits => 0,
        n => addr >> n << n,
    }
}

/// The clients, most specific first.
#[derive(Debug)]
pub struct Clients(Vec<Client>);

impl Clients {
    /// Without a clients file: localhost (127.0.0.0/8 and ::1), over UDP and
    /// TCP, with `secret`.
    pub fn localhost(secret: &[u8]) -> Self {
        let mut v4 = Client::new("localhost");
        (v4.net, v4.prefix) = (IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)), 8);
        let mut v6 = Client::new("localhost_ipv6");
        (v6.net, v6.prefix) = (IpAddr::V6(Ipv6Addr::LOCALHOST), 128);
        for c in [&mut v4, &mut v6] {
            c.secret = secret.to_vec();
            c.tcp = true;
        }
        Self(vec![v6, v4])
    }

    /// The best client for a packet from `ip` over TCP or UDP, by its
    /// index. A linear search: meant for tens of clients, not thousands.
    pub fn find(&self, ip: IpAddr, tcp: bool) -> Option<usize> {
        let ip = ip.to_canonical();
        self.0
            .iter()
            .position(|c| (if tcp { c.tcp } else { c.udp }) && c.contains(ip))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let tokens = tokens(text)?;
        let mut it = tokens.iter();
        let mut clients: Vec<Client> = Vec::new();
        while let Some((line, word)) = it.next() {
            let fail = |what: &str| format!("line {line}: {what}");
            let (Token::Word(keyword), Some((_, Token::Word(name))), Some((_, Token::Open))) =
                (word, it.next(), it.next())
            else {
                return Err(fail("expected `client NAME {`"));
            };
            if keyword != "client" {
                return Err(fail(&format!(
                    "`{keyword}` is not supported (only client sections)"
                )));
            }
            let mut client = Client::new(name);
            let mut addressed = false;
            let mut netmask = None;
            let mut section = Vec::new();
            body(&mut it, *line, false, &mut section)?;
            for (line, key, value) in section {
                let fail = |what: &str| format!("line {line}: {key}: {what}");
                match key.as_str() {
                    "ipaddr" | "ipv4addr" | "ipv6addr" => {
                        (client.net, client.prefix) = address(&key, &value).map_err(&fail)?;
                        addressed = true;
                    }
                    "netmask" => {
                        netmask = Some(
                            value
                                .parse::<u8>()
                                .map_err(|_| fail("not a prefix length"))?,
                        )
                    }
                    "secret" => client.secret = value.into_bytes(),
                    "shortname" => client.name = value,
                    "nas_type" => {}
                    "proto" => {
                        (client.udp, client.tcp) = match value.as_str() {
                            "udp" => (true, false),
                            "tcp" => (false, true),
                            "*" => (true, true),
                            _ => return Err(fail("expected udp, tcp or *")),
                        }
                    }
                    "require_message_authenticator" => {
                        client.require_message_authenticator =
                            yes_no(&value).ok_or_else(|| fail("expected yes or no"))?
                    }
                    "max_connections" => {
                        client.max_connections = value.parse().map_err(|_| fail("not a number"))?
                    }
                    "idle_timeout" => client.idle_timeout = seconds(&value).map_err(&fail)?,
                    "lifetime" => client.lifetime = seconds(&value).map_err(&fail)?,
                    _ => return Err(fail("not supported")),
                }
            }
            if !addressed {
                (client.net, client.prefix) = address("ipaddr", name).map_err(|e| {
                    fail(&format!("no ipaddr, and the name is not an address: {e}"))
                })?;
            }
            if let Some(prefix) = netmask {
                (client.net, client.prefix) =
                    address("ipaddr", &format!("{}/{prefix}", client.net)).map_err(&fail)?;
            }
            if client.secret.is_empty() {
                return Err(fail(&format!("client {name} has no secret")));
            }
            if let Some(other) = clients.iter().find(|c| {
                (c.net, c.prefix) == (client.net, client.prefix)
                    && (c.udp && client.udp || c.tcp && client.tcp)
            }) {
                return Err(fail(&format!(
                    "client {name} has the network of client {}",
                    other.name
                )));
            }
            clients.push(client);
        }
        // Most specific first: `find` takes the first that matches. Stable,
        // and IPv4 and IPv6 never both match.
        clients.sort_by_key(|c| std::cmp::Reverse(c.prefix));
        Ok(Self(clients))
    }
}

impl std::ops::Index<usize> for Clients {
    type Output = Client;

    fn index(&self, i: usize) -> &Client {
        &self.0[i]
    }
}

/// `ADDRESS[/PREFIX]` (or `*`), masked, for the key `ipaddr`, `ipv4addr` or
/// `ipv6addr`.
fn address(key: &str, value: &str) -> Result<(IpAddr, u8), &'static str> {
    let (ip, prefix) = match (key, value) {
        ("ipv4addr", "*") => (IpAddr::V4(Ipv4Addr::UNSPECIFIED), Some(0)),
        ("ipv6addr", "*") => (IpAddr::V6(Ipv6Addr::UNSPECIFIED), Some(0)),
        _ => {
            let (ip, prefix) = value
                .split_once('/')
                .map_or((value, None), |(a, p)| (a, Some(p)));
            let ip: IpAddr = ip
                .parse()
                .map_err(|_| "not an IP address (host names are not resolved)")?;
            let prefix = prefix
                .map(|p| p.parse::<u8>())
                .transpose()
                .map_err(|_| "not a prefix length")?;
            (ip, prefix)
        }
    };
    let bits = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = prefix.unwrap_or(bits);
    match (key, ip) {
        _ if prefix > bits => Err("prefix too long"),
        ("ipv4addr", IpAddr::V6(_)) => Err("not an IPv4 address"),
        ("ipv6addr", IpAddr::V4(_)) => Err("not an IPv6 address"),
        (_, IpAddr::V4(v4)) => Ok((
            IpAddr::V4(Ipv4Addr::from_bits(
                mask(v4.to_bits().into(), prefix, 32) as u32
            )),
            prefix,
        )),
        (_, IpAddr::V6(v6)) => Ok((
            IpAddr::V6(Ipv6Addr::from_bits(mask(v6.to_bits(), prefix, 128))),
            prefix,
        )),
    }
}

/// A number of seconds; 0 is none (no limit).
fn seconds(value: &str) -> Result<Option<Duration>, &'static str> {
    let secs: u64 = value.parse().map_err(|_| "not a number of seconds")?;
    Ok((secs > 0).then(|| Duration::from_secs(secs)))
}

fn yes_no(value: &str) -> Option<bool> {
    match value {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => None,
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Open,
    Close,
    Equals,
}

/// Reads the `KEY = VALUE` items of a section up to its `}`, each with its
/// line; a client's `limit { .. }` subsection's items are read as its own.
fn body<'a>(
    it: &mut impl Iterator<Item = &'a (usize, Token)>,
    start: usize,
    nested: bool,
    items: &mut Vec<(usize, String, String)>,
) -> Result<(), String> {
    loop {
        let Some((line, token)) = it.next() else {
            return Err(format!("line {start}: the section has no `}}`"));
        };
        let Token::Word(key) = token else {
            if *token == Token::Close {
                return Ok(());
            }
            return Err(format!("line {line}: expected `KEY = VALUE` or `}}`"));
        };
        match it.next() {
            Some((_, Token::Open)) if key == "limit" && !nested => body(it, *line, true, items)?,
            Some((_, Token::Equals)) => match it.next() {
                Some((_, Token::Word(value))) => items.push((*line, key.clone(), value.clone())),
                _ => return Err(format!("line {line}: {key}: expected a value")),
            },
            _ => return Err(format!("line {line}: {key}: expected `=`")),
        }
    }
}

/// Splits the file into words, quoted strings, `{`, `}` and `=`; `#` starts
/// a comment (outside quotes).
fn tokens(text: &str) -> Result<Vec<(usize, Token)>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            let token = match c {
                '#' => break,
                c if c.is_whitespace() => continue,
                '{' => Token::Open,
                '}' => Token::Close,
                '=' => Token::Equals,
                '"' => {
                    let mut word = String::new();
                    loop {
                        match chars.next() {
                            Some('"') => break,
                            Some('\\') => word.extend(chars.next()),
                            Some(c) => word.push(c),
                            None => return Err(format!("line {}: unterminated string", n + 1)),
                        }
                    }
                    Token::Word(word)
                }
                c => {
                    let mut word = c.to_string();
                    while let Some(&c) = chars.peek() {
                        if c.is_whitespace() || "{}=#\"".contains(c) {
                            break;
                        }
                        word.push(c);
                        chars.next();
                    }
                    Token::Word(word)
                }
            };
            out.push((n + 1, token));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
# The lab.
client lab {
    ipaddr = 192.0.2.0/24
    secret = "lab \"secret\""   # quoted, with escapes
    proto = *
}
client 192.0.2.7 {
	secret = seven
	require_message_authenticator = no
	limit {
		max_connections = 2
		idle_timeout = 5
		lifetime = 60
	}
}
client all-v6 { ipv6addr = * secret = v6 nas_type = other }
client old { ipaddr = 198.51.100.9 netmask = 24 secret = old proto = tcp }
"#;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    impl Clients {
        fn get(&self, addr: &str, tcp: bool) -> Option<&Client> {
            Some(&self[self.find(ip(addr), tcp)?])
        }
    }

    #[test]
    fn freeradius_semantics() {
        let clients = Clients::parse(FILE).unwrap();
        let lab = clients.get("192.0.2.1", false).unwrap();
        assert_eq!(
            (lab.name.as_str(), &lab.secret[..]),
            ("lab", &b"lab \"secret\""[..])
        );
        assert!(lab.require_message_authenticator && lab.tcp);
        assert_eq!(
            (lab.max_connections, lab.idle_timeout),
            (16, Some(Duration::from_secs(30)))
        );
        // The best match: the host, not its network; but the host is
        // UDP-only, so over TCP the network matches.
        let seven = clients.get("192.0.2.7", false).unwrap();
        assert_eq!(seven.secret, b"seven");
        assert!(!seven.require_message_authenticator);
        assert_eq!(
            (seven.max_connections, seven.lifetime),
            (2, Some(Duration::from_secs(60)))
        );
        assert_eq!(clients.get("192.0.2.7", true).unwrap().name, "lab");
        assert_eq!(clients.get("2001:db8::1", false).unwrap().secret, b"v6");
        // An IPv4-mapped source is its IPv4 address.
        assert_eq!(clients.get("::ffff:192.0.2.1", false).unwrap().name, "lab");
        assert_eq!(clients.get("198.51.100.200", true).unwrap().name, "old");
        assert!(clients.get("198.51.100.200", false).is_none(), "TCP only");
        assert!(clients.get("203.0.113.1", false).is_none());
    }

    #[test]
    fn localhost_by_default() {
        let clients = Clients::localhost(b"testing123");
        for (addr, tcp) in [("127.0.0.1", false), ("127.1.2.3", true), ("::1", true)] {
            assert_eq!(clients.get(addr, tcp).unwrap().secret, b"testing123");
        }
        assert!(clients.get("10.0.0.1", false).is_none());
    }

    #[test]
    fn errors_name_the_line() {
        for (file, error) in [
            ("client a { ipaddr = 10.0.0.1 }", "line 1: client a has no secret"),
            ("client a { ipaddr = 10.0.0.1\n secret = x\n", "line 1: the section has no `}`"),
            ("client a {\n secret = x\n virtual_server = v }", "line 3: virtual_server: not supported"),
            ("client host.example { secret = x }", "line 1: no ipaddr, and the name is not an address"),
            ("client a { ipaddr = 10.0.0.0/33 secret = x }", "line 1: ipaddr: prefix too long"),
            ("client a { ipv4addr = ::1 secret = x }", "line 1: ipv4addr: not an IPv4 address"),
            ("client a { proto = sctp }", "line 1: proto: expected udp, tcp or *"),
            ("$INCLUDE clients.d/", "line 1: expected `client NAME {`"),
            ("home_server a { }", "line 1: `home_server` is not supported"),
            (
                "client a { ipaddr = 10.0.0.0/8 secret = x }\nclient b { ipaddr = 10.1.2.3/8 secret = y }",
                "line 2: client b has the network of client a",
            ),
        ] {
            let got = Clients::parse(file).unwrap_err();
            assert!(got.starts_with(error), "{file:?}: {got}");
        }
        // The same network is fine over another transport.
        Clients::parse("client a { ipaddr = 10.0.0.1 secret = x }\nclient b { ipaddr = 10.0.0.1 secret = y proto = tcp }")
            .unwrap();
    }
}
