package rootfs

import (
	"strings"

	"golang.org/x/sys/unix"
)

// MountOptions is config.json's "options" list of one mount, split the way
// mount(2) and mount_setattr(2) want it.
type MountOptions struct {
	// Flags are the MS_* flags passed to mount(2).
	Flags uintptr
	// ClearedFlags are the MS_* flags the options explicitly turned off
	// ("rw", "suid", "dev", "exec", "atime", ...). A bind remount in a user
	// namespace must not silently keep a locked flag the user asked to clear.
	ClearedFlags uintptr
	// Propagation holds MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (maybe
	// with MS_REC), in the order given, each applied by its own mount(2) call
	// after the mount: the kernel refuses them combined with other flags.
	Propagation []uintptr
	// RecAttrSet and RecAttrClr are MOUNT_ATTR_* bits for the "r*" options,
	// applied with mount_setattr(AT_RECURSIVE) to the whole mounted tree.
	RecAttrSet uint64
	RecAttrClr uint64
	// CopyUp is "tmpcopyup" (runc extension).
	CopyUp bool
	// IDMap is "idmap" or "ridmap": the bind mount is idmapped (see idmap.go),
	// with the mount's uidMappings/gidMappings or the container's own.
	// IDMapRecursive ("ridmap") maps every mount of an rbind tree, not only
	// its top. The last of the two options wins, as in runc.
	IDMap          bool
	IDMapRecursive bool
	// Data is what is left, comma-joined: filesystem-specific options such as
	// "mode=755" or "lowerdir=...", passed to mount(2) as its data argument.
	Data string
}

// flagOpt is one entry of the option table: the flag it sets, or clears.
type flagOpt struct {
	clear bool
	flag  uintptr
}

// mountFlags is runc's table (libcontainer/specconv), so option lists behave
// the same under both runtimes.
var mountFlags = map[string]flagOpt{
	"acl":           {false, unix.MS_POSIXACL},
	"async":         {true, unix.MS_SYNCHRONOUS},
	"atime":         {true, unix.MS_NOATIME},
	"bind":          {false, unix.MS_BIND},
	"dev":           {true, unix.MS_NODEV},
	"diratime":      {true, unix.MS_NODIRATIME},
	"dirsync":       {false, unix.MS_DIRSYNC},
	"exec":          {true, unix.MS_NOEXEC},
	"iversion":      {false, unix.MS_I_VERSION},
	"lazytime":      {false, unix.MS_LAZYTIME},
	"loud":          {true, unix.MS_SILENT},
	"mand":          {false, unix.MS_MANDLOCK},
	"noacl":         {true, unix.MS_POSIXACL},
	"noatime":       {false, unix.MS_NOATIME},
	"nodev":         {false, unix.MS_NODEV},
	"nodiratime":    {false, unix.MS_NODIRATIME},
	"noexec":        {false, unix.MS_NOEXEC},
	"noiversion":    {true, unix.MS_I_VERSION},
	"nolazytime":    {true, unix.MS_LAZYTIME},
	"nomand":        {true, unix.MS_MANDLOCK},
	"norelatime":    {true, unix.MS_RELATIME},
	"nostrictatime": {true, unix.MS_STRICTATIME},
	"nosuid":        {false, unix.MS_NOSUID},
	"nosymfollow":   {false, unix.MS_NOSYMFOLLOW},
	"rbind":         {false, unix.MS_BIND | unix.MS_REC},
	"relatime":      {false, unix.MS_RELATIME},
	"remount":       {false, unix.MS_REMOUNT},
	"ro":            {false, unix.MS_RDONLY},
	"rw":            {true, unix.MS_RDONLY},
	"silent":        {false, unix.MS_SILENT},
	"strictatime":   {false, unix.MS_STRICTATIME},
	"suid":          {true, unix.MS_NOSUID},
	"symfollow":     {true, unix.MS_NOSYMFOLLOW},
	"sync":          {false, unix.MS_SYNCHRONOUS},
}

// propagationFlags maps the propagation option names (also used by
// linux.rootfsPropagation) to their mount(2) flags.
var propagationFlags = map[string]uintptr{
	"private":     unix.MS_PRIVATE,
	"rprivate":    unix.MS_PRIVATE | unix.MS_REC,
	"shared":      unix.MS_SHARED,
	"rshared":     unix.MS_SHARED | unix.MS_REC,
	"slave":       unix.MS_SLAVE,
	"rslave":      unix.MS_SLAVE | unix.MS_REC,
	"unbindable":  unix.MS_UNBINDABLE,
	"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

// recAttrFlags are the recursive mount attributes (runc 1.1+ names).
var recAttrFlags = map[string]struct {
	clear bool
	flag  uint64
}{
	"rro":            {false, unix.MOUNT_ATTR_RDONLY},
	"rrw":            {true, unix.MOUNT_ATTR_RDONLY},
	"rnosuid":        {false, unix.MOUNT_ATTR_NOSUID},
	"rsuid":          {true, unix.MOUNT_ATTR_NOSUID},
	"rnodev":         {false, unix.MOUNT_ATTR_NODEV},
	"rdev":           {true, unix.MOUNT_ATTR_NODEV},
	"rnoexec":        {false, unix.MOUNT_ATTR_NOEXEC},
	"rexec":          {true, unix.MOUNT_ATTR_NOEXEC},
	"rnodiratime":    {false, unix.MOUNT_ATTR_NODIRATIME},
	"rdiratime":      {true, unix.MOUNT_ATTR_NODIRATIME},
	"rrelatime":      {false, unix.MOUNT_ATTR_RELATIME},
	"rnorelatime":    {true, unix.MOUNT_ATTR_RELATIME},
	"rnoatime":       {false, unix.MOUNT_ATTR_NOATIME},
	"ratime":         {true, unix.MOUNT_ATTR_NOATIME},
	"rstrictatime":   {false, unix.MOUNT_ATTR_STRICTATIME},
	"rnostrictatime": {true, unix.MOUNT_ATTR_STRICTATIME},
	"rnosymfollow":   {false, unix.MOUNT_ATTR_NOSYMFOLLOW},
	"rsymfollow":     {true, unix.MOUNT_ATTR_NOSYMFOLLOW},
}

// ParseMountOptions splits a mount's options into flags, propagation,
// recursive attributes and the filesystem data string. Like runc it never
// fails on an unknown option: that goes to the data string, and the kernel
// judges it. The error return is kept for options that cannot be honoured.
func ParseMountOptions(opts []string) (MountOptions, error) {
	var m MountOptions
	var data []string
	for _, o := range opts {
		if f, ok := mountFlags[o]; ok {
			if f.clear {
				m.Flags &^= f.flag
				m.ClearedFlags |= f.flag
			} else {
				m.Flags |= f.flag
				m.ClearedFlags &^= f.flag
			}
			continue
		}
		if p, ok := propagationFlags[o]; ok {
			m.Propagation = append(m.Propagation, p)
			continue
		}
		if r, ok := recAttrFlags[o]; ok {
			if r.clear {
				m.RecAttrClr |= r.flag
				m.RecAttrSet &^= r.flag
				continue
			}
			m.RecAttrSet |= r.flag
			m.RecAttrClr &^= r.flag
			// The atime modes are an enum inside MOUNT_ATTR__ATIME: setting
			// one needs the whole field cleared first (mount_setattr(2)).
			if r.flag&unix.MOUNT_ATTR__ATIME == r.flag {
				m.RecAttrClr |= unix.MOUNT_ATTR__ATIME
			}
			continue
		}
		switch o {
		case "tmpcopyup":
			// runc copies the image's content into a fresh tmpfs. Accepted so
			// that configs written for runc load; the copy-up itself is not
			// implemented, and the tmpfs starts empty.
			m.CopyUp = true
			continue
		case "idmap", "ridmap":
			m.IDMap = true
			m.IDMapRecursive = o == "ridmap"
			continue
		case "defaults":
			// mount(8)'s "defaults" means no flags; the kernel would reject it
			// as data.
			continue
		}
		data = append(data, o)
	}
	m.Data = strings.Join(data, ",")
	return m, nil
}

// isBind reports whether the mount is a bind mount: runc treats any mount
// type carrying "bind" or "rbind" as one.
func (m *MountOptions) isBind() bool { return m.Flags&unix.MS_BIND != 0 }
