// Calls that came through an engine which sees every credential change of their thread (and
// calls the addon's forgetTracee on it): their emulation may use the addon's identity cache.
export const credTracked = new WeakSet<object>();
