//! What a request can be told ([`Action`]) and sets of it ([`Actions`]).

use core::fmt;
use core::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, Not, Sub, SubAssign};

/// One thing a request can be told: the standard actions, and
/// [`USER_ACTIONS`](Action::USER_ACTIONS) of the application's own.
///
/// ```
/// use handoff::signal::{Action, Actions};
///
/// let set = Actions::from(Action::Cancel) | Action::Timeout;
/// assert!(set.contains(Action::Cancel));
/// assert!(!set.contains(Action::Dup));
/// let mine = Action::user(0).unwrap();
/// assert!(matches!(mine, Action::User(u) if u.index() == 0));
/// assert_eq!(Action::user(Action::USER_ACTIONS), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Stop the request: its result is no longer wanted.
    Cancel,
    /// A duplicate of the request arrived (a retransmission).
    Dup,
    /// Let the request run on, but nobody waits for its reply.
    Detach,
    /// Start the request's work over.
    Retry,
    /// The request's time limit passed.
    Timeout,
    /// An application-defined action: make it with [`Action::user`].
    User(UserAction),
}

/// The number of an application-defined [`Action`], `0 .. USER_ACTIONS`;
/// only [`Action::user`] makes one, so every `Action` has a bit.
///
/// ```
/// use handoff::signal::Action;
/// let Some(Action::User(u)) = Action::user(1) else { unreachable!() };
/// assert_eq!(u.index(), 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UserAction(u8);

impl UserAction {
    /// Which application-defined action this is.
    ///
    /// ```
    /// let Some(handoff::signal::Action::User(u)) = handoff::signal::Action::user(2) else { unreachable!() };
    /// assert_eq!(u.index(), 2);
    /// ```
    pub const fn index(self) -> u8 {
        self.0
    }
}

impl Action {
    /// How many application-defined actions there are room for.
    pub const USER_ACTIONS: u8 = 3;

    /// Every action, standard first.
    pub const ALL: [Action; 8] = [
        Action::Cancel,
        Action::Dup,
        Action::Detach,
        Action::Retry,
        Action::Timeout,
        Action::User(UserAction(0)),
        Action::User(UserAction(1)),
        Action::User(UserAction(2)),
    ];

    /// The application-defined action `n`, if `n < USER_ACTIONS`.
    ///
    /// ```
    /// use handoff::signal::Action;
    /// assert_eq!(Action::user(2), Some(Action::ALL[7]));
    /// assert_eq!(Action::user(3), None);
    /// ```
    pub const fn user(n: u8) -> Option<Action> {
        if n < Self::USER_ACTIONS {
            Some(Action::User(UserAction(n)))
        } else {
            None
        }
    }

    /// The action's bit in an [`Actions`] set (and in an entry's word).
    pub(crate) const fn bit(self) -> u8 {
        match self {
            Action::Cancel => 1 << 0,
            Action::Dup => 1 << 1,
            Action::Detach => 1 << 2,
            Action::Retry => 1 << 3,
            Action::Timeout => 1 << 4,
            // `UserAction`s are only made below USER_ACTIONS.
            Action::User(UserAction(n)) => 1 << (5 + n),
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Cancel => f.write_str("cancel"),
            Action::Dup => f.write_str("dup"),
            Action::Detach => f.write_str("detach"),
            Action::Retry => f.write_str("retry"),
            Action::Timeout => f.write_str("timeout"),
            Action::User(UserAction(n)) => write!(f, "user({n})"),
        }
    }
}

/// A set of [`Action`]s: one bit each, with the usual set operations
/// (`|`, `&`, `-`, `!`).
///
/// ```
/// use handoff::signal::{Action, Actions};
///
/// let a = Actions::from(Action::Cancel) | Action::Dup;
/// let b: Actions = [Action::Dup, Action::Retry].into_iter().collect();
/// assert_eq!((a & b).iter().collect::<Vec<_>>(), [Action::Dup]);
/// assert_eq!((a - b).iter().collect::<Vec<_>>(), [Action::Cancel]);
/// assert_eq!((a | b).len(), 3);
/// assert_eq!(!Actions::ALL, Actions::EMPTY);
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Actions(u8);

impl Actions {
    /// No action.
    pub const EMPTY: Actions = Actions(0);
    /// Every action.
    pub const ALL: Actions = Actions(u8::MAX);

    pub(crate) const fn from_bits(bits: u8) -> Self {
        Actions(bits)
    }

    /// Whether `action` is in the set.
    ///
    /// ```
    /// use handoff::signal::{Action, Actions};
    /// assert!(Actions::ALL.contains(Action::Timeout));
    /// ```
    pub const fn contains(self, action: Action) -> bool {
        self.0 & action.bit() != 0
    }

    /// Whether the set is empty.
    ///
    /// ```
    /// assert!(handoff::signal::Actions::EMPTY.is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// How many actions the set holds.
    ///
    /// ```
    /// assert_eq!(handoff::signal::Actions::ALL.len(), 8);
    /// ```
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Adds `action`; returns whether it was new.
    ///
    /// ```
    /// use handoff::signal::{Action, Actions};
    /// let mut set = Actions::EMPTY;
    /// assert!(set.insert(Action::Retry));
    /// assert!(!set.insert(Action::Retry));
    /// ```
    pub fn insert(&mut self, action: Action) -> bool {
        let new = !self.contains(action);
        self.0 |= action.bit();
        new
    }

    /// Removes `action`; returns whether it was there.
    ///
    /// ```
    /// use handoff::signal::{Action, Actions};
    /// let mut set = Actions::from(Action::Dup);
    /// assert!(set.remove(Action::Dup));
    /// assert!(set.is_empty());
    /// ```
    pub fn remove(&mut self, action: Action) -> bool {
        let had = self.contains(action);
        self.0 &= !action.bit();
        had
    }

    /// The actions in the set, in [`Action::ALL`]'s order.
    ///
    /// ```
    /// use handoff::signal::{Action, Actions};
    /// let set = Actions::from(Action::Timeout) | Action::Cancel;
    /// assert_eq!(set.iter().collect::<Vec<_>>(), [Action::Cancel, Action::Timeout]);
    /// ```
    pub fn iter(self) -> Iter {
        Iter { left: self.0 }
    }
}

impl From<Action> for Actions {
    fn from(action: Action) -> Self {
        Actions(action.bit())
    }
}

impl FromIterator<Action> for Actions {
    fn from_iter<I: IntoIterator<Item = Action>>(iter: I) -> Self {
        iter.into_iter().fold(Actions::EMPTY, |set, a| set | a)
    }
}

impl IntoIterator for Actions {
    type Item = Action;
    type IntoIter = Iter;

    fn into_iter(self) -> Iter {
        self.iter()
    }
}

/// The actions of an [`Actions`] set, in [`Action::ALL`]'s order; made by
/// [`Actions::iter`].
///
/// ```
/// use handoff::signal::{Action, Actions};
/// let mut it = (Actions::from(Action::Dup) | Action::user(1).unwrap()).iter();
/// assert_eq!(it.next(), Some(Action::Dup));
/// assert_eq!(it.next(), Action::user(1));
/// assert_eq!(it.next(), None);
/// ```
#[derive(Clone, Debug)]
pub struct Iter {
    /// The actions not yet returned.
    left: u8,
}

impl Iterator for Iter {
    type Item = Action;

    fn next(&mut self) -> Option<Action> {
        if self.left == 0 {
            return None;
        }
        let index = self.left.trailing_zeros() as usize;
        self.left &= self.left - 1;
        Some(Action::ALL[index])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.left.count_ones() as usize;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter {}

macro_rules! set_op {
    ($trait:ident, $method:ident, $assign:ident, $assign_method:ident, $op:tt) => {
        impl<T: Into<Actions>> $trait<T> for Actions {
            type Output = Actions;
            fn $method(self, rhs: T) -> Actions {
                Actions(self.0 $op rhs.into().0)
            }
        }
        impl<T: Into<Actions>> $assign<T> for Actions {
            fn $assign_method(&mut self, rhs: T) {
                self.0 = self.0 $op rhs.into().0;
            }
        }
    };
}

set_op!(BitOr, bitor, BitOrAssign, bitor_assign, |);
set_op!(BitAnd, bitand, BitAndAssign, bitand_assign, &);

impl<T: Into<Actions>> Sub<T> for Actions {
    type Output = Actions;
    fn sub(self, rhs: T) -> Actions {
        Actions(self.0 & !rhs.into().0)
    }
}

impl<T: Into<Actions>> SubAssign<T> for Actions {
    fn sub_assign(&mut self, rhs: T) {
        self.0 &= !rhs.into().0;
    }
}

impl Not for Actions {
    type Output = Actions;
    fn not(self) -> Actions {
        Actions(!self.0)
    }
}

impl fmt::Debug for Actions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}
