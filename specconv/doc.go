// Package specconv loads a bundle's config.json, validates it and normalises it into a Config:
// the runtime-spec itself plus the few fields runo derives from it (absolute bundle and rootfs
// paths). It also produces the default spec that `runo spec` prints.
//
// specconv must not touch the host beyond reading the bundle: it runs before anything is created,
// so that bad input is refused while there is nothing to clean up.
package specconv
