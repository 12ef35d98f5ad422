package rootfs

import "sort"

// KnownMountOptions lists every mount option runo interprets itself (others go to the file
// system as data), for the features document.
func KnownMountOptions() []string {
	var names []string
	for name := range mountFlags {
		names = append(names, name)
	}
	for name := range propagationFlags {
		names = append(names, name)
	}
	for name := range recAttrFlags {
		names = append(names, name)
	}
	names = append(names, "idmap", "ridmap")
	sort.Strings(names)
	return names
}
