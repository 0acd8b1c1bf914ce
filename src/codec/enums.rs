//! The one macro that defines every wire enum.

/// Defines a wire enum over `u8` or `u16` whose unknown values decode into
/// `Unknown(raw)`, so a peer's value we do not recognise is kept, not lost.
///
/// Each variant also has an IANA-style name for display (`name()`).
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $repr:ty {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        #[allow(non_camel_case_types)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this crate does not know, kept as it arrived.
            Unknown($repr),
        }

        impl $name {
            /// Every value this crate knows, in declaration order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// The wire value.
            pub const fn to_wire(self) -> $repr {
                match self {
                    $( $name::$variant => $value, )*
                    $name::Unknown(v) => v,
                }
            }

            /// The value for a wire number; unknown numbers map to `Unknown`.
            pub const fn from_wire(v: $repr) -> Self {
                match v {
                    $( $value => $name::$variant, )*
                    other => $name::Unknown(other),
                }
            }

            /// The registry name (e.g. `TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256`),
            /// or `None` for an unknown value.
            pub const fn name(self) -> Option<&'static str> {
                match self {
                    $( $name::$variant => Some($text), )*
                    $name::Unknown(_) => None,
                }
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "unknown({:#x})", self.to_wire()),
                }
            }
        }

        impl $crate::codec::Codec for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                <$repr as $crate::codec::Codec>::encode(&self.to_wire(), out);
            }
            fn read(r: &mut $crate::codec::Reader<'_>) -> Result<Self, $crate::error::InvalidMessage> {
                <$repr as $crate::codec::Codec>::read(r)
                    .map(Self::from_wire)
                    .map_err(|_| $crate::error::InvalidMessage::MissingData(stringify!($name)))
            }
        }
    };
}

pub(crate) use wire_enum;
