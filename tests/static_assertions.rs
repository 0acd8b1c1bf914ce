//! Facts about the typed handshake that must never regress, checked when
//! this file compiles (the one `#[test]` only makes the file a test
//! target). Everything here is public API, seen as a user sees it.
//!
//! # Why `SendMessage`/`RecvMessage` have their own macros
//!
//! `static_assertions`' `assert_impl_all!`/`assert_not_impl_any!` cannot
//! name these two traits at all. Both carry a where clause that is not a
//! supertrait (`SendMessage<R, P>: State where R: Writes<Self::Writer>`,
//! `RecvMessage<R, P>: State where R::Peer: Writes<Self::Writer>`), and
//! such clauses are not implied by a bound: the generic helper functions
//! and impls those macros expand to (`fn f<T: SendMessage<Client, Full>>()`)
//! are rejected with E0277 on `Client: Writes<<T as State>::Writer>`, for a
//! true assertion as much as for a false one. The macros below use the same
//! two techniques (a generic function called at the type for "implemented",
//! the ambiguous-impl trick for "not implemented") with the where clause
//! spelled out. For "not implemented" that clause is part of the fact: an
//! impl whose where clause fails cannot exist, because the crate could not
//! even declare it.
//!
//! The wrong-writer cases (a role sending what its peer writes, or reading
//! what it writes itself) are also pinned by the compile-fail cases
//! (`compile-fail/server_writes_client_hello.rs` and the others listed in
//! `compile-fail/README.md`), which show what a user sees.

use static_assertions::{assert_impl_all, assert_not_impl_any, assert_type_eq_all, const_assert};
use tlstate::connection::{Connection, ReadHalf, WriteHalf};
use tlstate::handshake::{
    AfterClientHello, AfterServerCert, B, C, Client, ClientAuth, Fatal, Full, FullShape, Handshake,
    NoClientCert, RecvMessage, Resumed, ResumedClientAuth, Role, S, SendMessage, Server, State,
    Writes, state,
};

/// `$role` sends at each state in shape `$shape`: `SendMessage` is
/// implemented (and so `Handshake::send` exists there).
macro_rules! assert_sends {
    ($role:ty, $shape:ty: $($state:ty),+ $(,)?) => {
        const _: fn() = || {
            fn sends<St>()
            where
                St: State + SendMessage<$role, $shape>,
                $role: Writes<St::Writer>,
            {
            }
            $( sends::<$state>(); )+
        };
    };
}

/// `$role` reads at each state in shape `$shape`: `RecvMessage` is
/// implemented (and so `Handshake::recv` exists there).
macro_rules! assert_recvs {
    ($role:ty, $shape:ty: $($state:ty),+ $(,)?) => {
        const _: fn() = || {
            fn recvs<St>()
            where
                St: State + RecvMessage<$role, $shape>,
                <$role as Role>::Peer: Writes<St::Writer>,
            {
            }
            $( recvs::<$state>(); )+
        };
    };
}

/// The ambiguous-impl trick of `assert_not_impl_any!`: if `$state` had the
/// impl, `some_item` would be ambiguous between the two impls and this
/// would not compile.
macro_rules! assert_not_impl_where {
    ($state:ty: $($bounds:tt)+) => {
        const _: fn() = || {
            trait AmbiguousIfImpl<A> {
                fn some_item() {}
            }
            impl<T: ?Sized> AmbiguousIfImpl<()> for T {}
            #[allow(dead_code)]
            struct Invalid;
            impl<T> AmbiguousIfImpl<Invalid> for T where $($bounds)+ {}
            let _ = <$state as AmbiguousIfImpl<_>>::some_item;
        };
    };
}

/// `$role` never sends at these states in these shapes.
macro_rules! assert_never_sends {
    ($role:ty, [$($shape:ty),+]: $($state:ty),+ $(,)?) => {
        assert_never_sends!(@shapes $role, [$($shape),+], [$($state),+]);
    };
    (@shapes $role:ty, [$($shape:ty),+], $states:tt) => {
        $( assert_never_sends!(@states $role, $shape, $states); )+
    };
    (@states $role:ty, $shape:ty, [$($state:ty),+]) => {
        $(
            assert_not_impl_where!($state:
                T: State + SendMessage<$role, $shape>, $role: Writes<T::Writer>);
        )+
    };
}

/// `$role` never reads at these states in these shapes.
macro_rules! assert_never_recvs {
    ($role:ty, [$($shape:ty),+]: $($state:ty),+ $(,)?) => {
        assert_never_recvs!(@shapes $role, [$($shape),+], [$($state),+]);
    };
    (@shapes $role:ty, [$($shape:ty),+], $states:tt) => {
        $( assert_never_recvs!(@states $role, $shape, $states); )+
    };
    (@states $role:ty, $shape:ty, [$($state:ty),+]) => {
        $(
            assert_not_impl_where!($state:
                T: State + RecvMessage<$role, $shape>, <$role as Role>::Peer: Writes<T::Writer>);
        )+
    };
}

// ---------------------------------------------------------------------
// The writer column: who writes what. These four impls are the whole of it.

assert_impl_all!(Client: Writes<C>, Writes<B>);
assert_impl_all!(Server: Writes<S>, Writes<B>);
assert_not_impl_any!(Client: Writes<S>);
assert_not_impl_any!(Server: Writes<C>);
assert_type_eq_all!(<Client as Role>::Peer, Server);
assert_type_eq_all!(<Server as Role>::Peer, Client);

// Each state's writer, as the table says (a flipped letter in the table
// would hand a message to the other role).
assert_type_eq_all!(<state::ClientHello as State>::Writer, C);
assert_type_eq_all!(<state::ServerHello as State>::Writer, S);
assert_type_eq_all!(<state::ServerCert as State>::Writer, S);
assert_type_eq_all!(<state::ServerCertStatus as State>::Writer, S);
assert_type_eq_all!(<state::ServerKey as State>::Writer, S);
assert_type_eq_all!(<state::ServerCertReq as State>::Writer, S);
assert_type_eq_all!(<state::ServerHelloDone as State>::Writer, S);
assert_type_eq_all!(<state::ClientCert as State>::Writer, C);
assert_type_eq_all!(<state::ClientKey as State>::Writer, C);
assert_type_eq_all!(<state::ClientCertVerify as State>::Writer, C);
assert_type_eq_all!(<state::ClientChangeCipherSpec as State>::Writer, C);
assert_type_eq_all!(<state::ClientFinished as State>::Writer, C);
assert_type_eq_all!(<state::ServerNewSessionTicket as State>::Writer, S);
assert_type_eq_all!(<state::ServerChangeCipherSpec as State>::Writer, S);
assert_type_eq_all!(<state::ServerFinished as State>::Writer, S);
assert_type_eq_all!(<state::HandshakeOver as State>::Writer, B);

// ---------------------------------------------------------------------
// Transitions that must never exist, in any shape.

// A role never writes what its peer writes ...
assert_never_sends!(Server, [Full, ClientAuth, NoClientCert, Resumed, ResumedClientAuth]:
    state::ClientHello, state::ClientCert, state::ClientKey, state::ClientCertVerify,
    state::ClientChangeCipherSpec, state::ClientFinished);
assert_never_sends!(Client, [Full, ClientAuth, NoClientCert, Resumed, ResumedClientAuth]:
    state::ServerHello, state::ServerCert, state::ServerCertStatus, state::ServerKey,
    state::ServerCertReq, state::ServerHelloDone, state::ServerNewSessionTicket,
    state::ServerChangeCipherSpec, state::ServerFinished);
// ... and never reads what it writes itself.
assert_never_recvs!(Client, [Full, ClientAuth, NoClientCert, Resumed, ResumedClientAuth]:
    state::ClientHello, state::ClientCert, state::ClientKey, state::ClientCertVerify,
    state::ClientChangeCipherSpec, state::ClientFinished);
assert_never_recvs!(Server, [Full, ClientAuth, NoClientCert, Resumed, ResumedClientAuth]:
    state::ServerHello, state::ServerCert, state::ServerCertStatus, state::ServerKey,
    state::ServerCertReq, state::ServerHelloDone, state::ServerNewSessionTicket,
    state::ServerChangeCipherSpec, state::ServerFinished);
// HandshakeOver (writer `B`) has no handshake message either way: after
// the handshake, records go through `Connection`, and no renegotiation.
assert_never_sends!(Client, [Full, ClientAuth, NoClientCert, Resumed, ResumedClientAuth]: state::HandshakeOver);
assert_never_sends!(Server, [Full, ClientAuth, NoClientCert, Resumed, ResumedClientAuth]: state::HandshakeOver);
assert_never_recvs!(Client, [Full, ClientAuth, NoClientCert, Resumed, ResumedClientAuth]: state::HandshakeOver);
assert_never_recvs!(Server, [Full, ClientAuth, NoClientCert, Resumed, ResumedClientAuth]: state::HandshakeOver);

// ---------------------------------------------------------------------
// Transitions that must never exist in some shapes.

// No client Certificate by `send` where none was requested (`Full`,
// `Resumed`) or one was already answered (`NoClientCert`); in `ClientAuth`
// it is written by `send_certificate`/`send_no_certificate`.
assert_never_sends!(Client, [Full, NoClientCert, Resumed]: state::ClientCert);
// No CertificateVerify without a certificate (RFC 5246 7.4.8).
assert_never_sends!(Client, [Full, NoClientCert, Resumed]: state::ClientCertVerify);
// A server reads a Certificate only after asking, and a CertificateVerify
// only after a non-empty Certificate.
assert_never_recvs!(Server, [Full, Resumed]: state::ClientCert);
assert_never_recvs!(Server, [Full, NoClientCert, Resumed]: state::ClientCertVerify);
// No CertificateRequest in a handshake without client authentication.
assert_never_sends!(Server, [Full, NoClientCert, Resumed]: state::ServerCertReq);
// Resumption has no key exchange and no certificates: the master secret is
// the resumed session's.
assert_never_sends!(Client, [Resumed]: state::ClientKey);
assert_never_recvs!(Server, [Resumed]: state::ClientKey);
assert_never_sends!(Server, [Resumed]: state::ServerCert, state::ServerCertStatus, state::ServerKey,
    state::ServerHelloDone);

// Resumption with client authentication (issue #11 item 1): a client-auth
// server's ClientHello read has a branch of its own for a session whose
// client chain it verified again, into the `ResumedClientAuth` shape, which
// only that read makes (the crate's moves between states are private).
// That shape has the messages of `Resumed`: no certificates, no key
// exchange, and no CertificateRequest to answer.
assert_type_eq_all!(
    <state::ClientHello as RecvMessage<Server, ClientAuth>>::Next,
    AfterClientHello<ClientAuth>
);
assert_type_eq_all!(
    <ClientAuth as FullShape>::ResumedWithClientCert,
    Handshake<Server, state::ServerHello, ResumedClientAuth>
);
// A server that asks for no certificate can never take that branch: its
// payload is uninhabited.
assert_type_eq_all!(
    <Full as FullShape>::ResumedWithClientCert,
    core::convert::Infallible
);
assert_never_recvs!(Server, [ResumedClientAuth]: state::ClientCert, state::ClientKey,
    state::ClientCertVerify);
assert_never_sends!(Server, [ResumedClientAuth]: state::ServerCert, state::ServerKey,
    state::ServerCertReq, state::ServerHelloDone);
assert_sends!(Server, ResumedClientAuth: state::ServerHello, state::ServerNewSessionTicket,
    state::ServerChangeCipherSpec, state::ServerFinished);
assert_recvs!(Server, ResumedClientAuth: state::ClientChangeCipherSpec, state::ClientFinished);

// ---------------------------------------------------------------------
// Transitions that must exist: the paths of the handshake shapes.

// Full handshake, client.
assert_sends!(Client, Full: state::ClientHello, state::ClientKey, state::ClientChangeCipherSpec,
    state::ClientFinished);
assert_recvs!(Client, Full: state::ServerHello, state::ServerCert, state::ServerCertStatus,
    state::ServerKey,
    state::ServerCertReq, state::ServerNewSessionTicket, state::ServerChangeCipherSpec,
    state::ServerFinished);
// Full handshake, server.
assert_recvs!(Server, Full: state::ClientHello, state::ClientKey, state::ClientChangeCipherSpec,
    state::ClientFinished);
assert_sends!(Server, Full: state::ServerHello, state::ServerCert, state::ServerCertStatus,
    state::ServerKey,
    state::ServerHelloDone, state::ServerChangeCipherSpec, state::ServerFinished);
// Client authentication, client (the Certificate itself by
// `send_certificate`/`send_no_certificate`).
assert_recvs!(Client, ClientAuth: state::ServerHelloDone);
assert_sends!(Client, ClientAuth: state::ClientKey, state::ClientCertVerify,
    state::ClientChangeCipherSpec, state::ClientFinished);
assert_sends!(Client, NoClientCert: state::ClientKey, state::ClientChangeCipherSpec,
    state::ClientFinished);
// Resumption, client.
assert_recvs!(Client, Resumed: state::ServerNewSessionTicket, state::ServerChangeCipherSpec,
    state::ServerFinished);
assert_sends!(Client, Resumed: state::ClientChangeCipherSpec, state::ClientFinished);

// ---------------------------------------------------------------------
// Where each write leads: the order of the messages, as types.

macro_rules! assert_send_next {
    ($($role:ty, $shape:ty: $state:ty => $next:ty;)+) => {
        $( assert_type_eq_all!(<$state as SendMessage<$role, $shape>>::Next, $next); )+
    };
}

assert_send_next! {
    Client, Full: state::ClientHello => state::ServerHello;
    // After the key exchange comes ChangeCipherSpec, never Finished, and
    // nothing reaches ChangeCipherSpec without the key exchange
    // (CVE-2014-0224 ordering).
    Client, Full: state::ClientKey => state::ClientChangeCipherSpec;
    Client, NoClientCert: state::ClientKey => state::ClientChangeCipherSpec;
    // With a certificate, its CertificateVerify comes before the CCS.
    Client, ClientAuth: state::ClientKey => state::ClientCertVerify;
    Client, ClientAuth: state::ClientCertVerify => state::ClientChangeCipherSpec;
    // Finished only after ChangeCipherSpec.
    Client, Full: state::ClientChangeCipherSpec => state::ClientFinished;
    Client, Resumed: state::ClientChangeCipherSpec => state::ClientFinished;
    Client, Full: state::ClientFinished => state::ServerNewSessionTicket;
    Client, Resumed: state::ClientFinished => state::HandshakeOver;

    Server, Full: state::ServerHello => state::ServerCert;
    Server, Resumed: state::ServerHello => state::ServerNewSessionTicket;
    // The optional CertificateStatus sits between Certificate and
    // ServerKeyExchange (RFC 6066 8), in every full shape.
    Server, Full: state::ServerCert => state::ServerCertStatus;
    Server, ClientAuth: state::ServerCert => state::ServerCertStatus;
    Server, Full: state::ServerCertStatus => state::ServerKey;
    Server, ClientAuth: state::ServerCertStatus => state::ServerKey;
    Server, Full: state::ServerKey => state::ServerHelloDone;
    Server, ClientAuth: state::ServerKey => state::ServerCertReq;
    Server, ClientAuth: state::ServerCertReq => state::ServerHelloDone;
    Server, Full: state::ServerHelloDone => state::ClientKey;
    Server, ClientAuth: state::ServerHelloDone => state::ClientCert;
    Server, Full: state::ServerChangeCipherSpec => state::ServerFinished;
    Server, Full: state::ServerFinished => state::HandshakeOver;
    Server, Resumed: state::ServerFinished => state::ClientChangeCipherSpec;
}

macro_rules! assert_recv_next {
    ($($role:ty, $shape:ty: $state:ty => $next:ty;)+) => {
        $( assert_type_eq_all!(<$state as RecvMessage<$role, $shape>>::Next, $next); )+
    };
}

assert_recv_next! {
    Client, Full: state::ServerCert => Handshake<Client, state::ServerCertStatus, Full>;
    Client, Full: state::ServerCertStatus => AfterServerCert;
    Client, Full: state::ServerKey => Handshake<Client, state::ServerCertReq, Full>;
    Client, ClientAuth: state::ServerHelloDone => Handshake<Client, state::ClientCert, ClientAuth>;
    Client, Full: state::ServerChangeCipherSpec => Handshake<Client, state::ServerFinished, Full>;
    // Application data only after the server's Finished verified ...
    Client, Full: state::ServerFinished => Handshake<Client, state::HandshakeOver, Full>;
    // ... and, resuming, after our own CCS and Finished too.
    Client, Resumed: state::ServerFinished =>
        Handshake<Client, state::ClientChangeCipherSpec, Resumed>;

    // The server reads the key exchange before the CCS (CVE-2014-0224) ...
    Server, Full: state::ClientKey => Handshake<Server, state::ClientChangeCipherSpec, Full>;
    Server, NoClientCert: state::ClientKey =>
        Handshake<Server, state::ClientChangeCipherSpec, NoClientCert>;
    // ... and, having received a certificate, its CertificateVerify before
    // the CCS (no skipped CertificateVerify).
    Server, ClientAuth: state::ClientKey => Handshake<Server, state::ClientCertVerify, ClientAuth>;
    Server, ClientAuth: state::ClientCertVerify =>
        Handshake<Server, state::ClientChangeCipherSpec, ClientAuth>;
    Server, Full: state::ClientChangeCipherSpec => Handshake<Server, state::ClientFinished, Full>;
    Server, Resumed: state::ClientFinished => Handshake<Server, state::HandshakeOver, Resumed>;
    Server, ResumedClientAuth: state::ClientFinished =>
        Handshake<Server, state::HandshakeOver, ResumedClientAuth>;
}

// ---------------------------------------------------------------------
// The typestate costs nothing: the markers are zero-sized (and
// uninhabited, so `assert_eq_size!(_, ())` does not apply).

macro_rules! assert_zero_sized {
    ($($t:ty),+ $(,)?) => {
        $( const_assert!(core::mem::size_of::<$t>() == 0); )+
    };
}

assert_zero_sized!(
    state::ClientHello,
    state::ServerHello,
    state::ServerCert,
    state::ServerCertStatus,
    state::ServerKey,
    state::ServerCertReq,
    state::ServerHelloDone,
    state::ClientCert,
    state::ClientKey,
    state::ClientCertVerify,
    state::ClientChangeCipherSpec,
    state::ClientFinished,
    state::ServerNewSessionTicket,
    state::ServerChangeCipherSpec,
    state::ServerFinished,
    state::HandshakeOver,
    Client,
    Server,
    C,
    S,
    B,
    Full,
    ClientAuth,
    NoClientCert,
    Resumed,
    ResumedClientAuth,
);

// A state's type parameters do not change its size.
const_assert!(
    core::mem::size_of::<Handshake<Client, state::ClientKey, Full>>()
        == core::mem::size_of::<Handshake<Client, state::ClientKey, ClientAuth>>()
);

// ---------------------------------------------------------------------
// Threads and ownership.

// A handshake can move to another thread between steps; a connection and
// its halves too (the halves are meant for two threads).
assert_impl_all!(Handshake<Client, state::ServerHello>: Send);
assert_impl_all!(Handshake<Server, state::ClientHello>: Send);
assert_impl_all!(Handshake<Client, state::HandshakeOver, Resumed>: Send);
assert_impl_all!(Connection<Client>: Send);
assert_impl_all!(Connection<Server>: Send);
assert_impl_all!(ReadHalf<Client>: Send);
assert_impl_all!(WriteHalf<Server>: Send);
// Secrets are zeroed when dropped (issue #11 item 6; the freed heap is
// checked by `tests/secret_wiping.rs`).
assert_impl_all!(tlstate::session::SessionState: zeroize::ZeroizeOnDrop);
assert_impl_all!(tlstate::session::MasterSecret: zeroize::ZeroizeOnDrop);
assert_impl_all!(tlstate::crypto::TicketKey: zeroize::ZeroizeOnDrop);
assert_impl_all!(tlstate::crypto::KeyBlock: zeroize::ZeroizeOnDrop);
assert_impl_all!(tlstate::crypto::PremasterSecret: zeroize::ZeroizeOnDrop);
// A session's secret is not printed.
assert_not_impl_any!(tlstate::session::MasterSecret: Copy);

// A fatal error can be boxed and sent anywhere.
assert_impl_all!(Fatal: Send, Sync, std::error::Error);

// A state cannot be duplicated: no copying a state to run a transition
// twice (the compile-fail case `state_used_after_transition.rs` shows the
// move), nor a connection to send with one sequence number twice.
assert_not_impl_any!(Handshake<Client, state::ClientHello>: Clone, Copy);
assert_not_impl_any!(Handshake<Client, state::ClientKey>: Clone, Copy);
assert_not_impl_any!(Handshake<Server, state::ServerKey>: Clone, Copy);
assert_not_impl_any!(Connection<Client>: Clone);
assert_not_impl_any!(Connection<Server>: Clone);

#[test]
fn the_assertions_compile() {
    // Every assertion above is checked when this file compiles.
}

// ---------------------------------------------------------------------
// The TLS 1.3 server (issue #12): the read of the shared ClientHello leads
// into the TLS 1.3 table; the server writes its flight through its
// Finished and then only reads the client's Finished; a client-auth server
// has no TLS 1.3 transitions yet.

mod tls13_server {
    use super::*;
    use tlstate::handshake::table::Follows;
    use tlstate::handshake::tls13::table::state as state13;

    assert_impl_all!(state13::ServerHello: Follows<state::ClientHello>);
    assert_sends!(Server, Full:
        state13::ServerHello,
        state13::ServerChangeCipherSpec,
        state13::EncryptedExtensions,
        state13::ServerCert,
        state13::ServerCertVerify,
        state13::ServerFinished,
    );
    assert_recvs!(Server, Full: state13::ClientFinished);
    assert_never_sends!(Server, [Full]: state13::ClientFinished, state13::HandshakeOver);
    // A server asking for a client certificate walks the 1.3 table too,
    // with its CertificateRequest, and reads the client's answer.
    assert_sends!(Server, ClientAuth:
        state13::ServerHello,
        state13::EncryptedExtensions,
        state13::ServerCertReq,
        state13::ServerCert,
        state13::ServerCertVerify,
        state13::ServerFinished,
    );
    assert_recvs!(Server, ClientAuth:
        state13::ClientCert,
        state13::ClientCertVerify,
        state13::ClientFinished,
    );
    assert_recvs!(Server, NoClientCert: state13::ClientFinished);
    // Only a server that asked reads a client Certificate.
    assert_never_sends!(Server, [Full, ClientAuth]: state13::ClientCert);
    assert_impl_all!(Handshake<Server, state13::HandshakeOver>: Send);
}
