package fs2

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/cgroups"
)

// BlkioWeightToIOWeight converts a cgroup v1 blkio weight ([10, 1000]) to a cgroup v2
// io.weight ([1, 10000]) linearly, as runc's ConvertBlkIOToIOWeightValue. 0 means unset.
func BlkioWeightToIOWeight(w uint16) uint64 {
	if w == 0 {
		return 0
	}
	if w < 10 {
		w = 10 // below the v1 range: the formula would underflow
	}
	return 1 + (uint64(w)-10)*9999/990
}

// setIO writes the block I/O weight and throttles as runc does: the weight goes to
// io.bfq.weight unconverted where the BFQ scheduler provides it, else converted to io.weight;
// per-device weights go to io.bfq.weight only when that file takes them (Linux ≥ 5.4), and are
// ignored otherwise, as by runc; throttles go to io.max, one device a write. The leaf weights
// are cgroup v1 (CFQ) only.
func setIO(dir string, b *specs.LinuxBlockIO) error {
	if b == nil {
		return nil
	}
	var bfq *os.File
	if b.Weight != nil || len(b.WeightDevice) > 0 {
		f, err := os.OpenFile(filepath.Join(dir, "io.bfq.weight"), os.O_RDWR|unix.O_CLOEXEC, 0)
		switch {
		case err == nil:
			bfq = f
			defer f.Close()
		case !isNotExist(err):
			return fmt.Errorf("open io.bfq.weight: %w", err)
		}
	}
	if b.Weight != nil && *b.Weight != 0 {
		if bfq != nil {
			if _, err := bfq.WriteString(strconv.FormatUint(uint64(*b.Weight), 10)); err != nil {
				return fmt.Errorf("write %d to %s: %w", *b.Weight, bfq.Name(), unwrap(err))
			}
		} else if err := writeFile(dir, "io.weight", strconv.FormatUint(BlkioWeightToIOWeight(*b.Weight), 10)); err != nil {
			return err
		}
	}
	if bfqTakesDeviceWeights(bfq) {
		for _, wd := range b.WeightDevice {
			if wd.Weight == nil {
				continue
			}
			v := fmt.Sprintf("%d:%d %d", wd.Major, wd.Minor, *wd.Weight)
			if _, err := bfq.WriteString(v); err != nil {
				return fmt.Errorf("write %q to %s: %w", v, bfq.Name(), unwrap(err))
			}
		}
	}
	throttles := []struct {
		key  string
		devs []specs.LinuxThrottleDevice
	}{
		{"rbps", b.ThrottleReadBpsDevice},
		{"wbps", b.ThrottleWriteBpsDevice},
		{"riops", b.ThrottleReadIOPSDevice},
		{"wiops", b.ThrottleWriteIOPSDevice},
	}
	for _, t := range throttles {
		for _, d := range t.devs {
			if err := writeFile(dir, "io.max", fmt.Sprintf("%d:%d %s=%d", d.Major, d.Minor, t.key, d.Rate)); err != nil {
				return err
			}
		}
	}
	return nil
}

// bfqTakesDeviceWeights reports whether io.bfq.weight accepts "major:minor weight": kernels
// that do show "default <weight>" in it, older ones a bare number.
func bfqTakesDeviceWeights(bfq *os.File) bool {
	if bfq == nil {
		return false
	}
	buf := make([]byte, 64)
	n, _ := bfq.ReadAt(buf, 0)
	_, err := strconv.ParseUint(string(bytes.TrimSpace(buf[:n])), 10, 64)
	return err != nil
}

// parseIOStat maps io.stat to runc's v1-shaped blkio stats: rbytes and wbytes to
// ioServiceBytesRecursive, rios and wios to ioServicedRecursive, with ops "Read" and "Write".
// Other keys (dbytes, dios, ...) have no v1 counterpart and are skipped, as by runc.
func parseIOStat(data string) (cgroups.Blkio, error) {
	var b cgroups.Blkio
	for _, line := range strings.Split(data, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		majStr, minStr, ok := strings.Cut(fields[0], ":")
		if !ok {
			continue
		}
		major, err := strconv.ParseUint(majStr, 10, 64)
		if err != nil {
			return cgroups.Blkio{}, fmt.Errorf("parse io.stat device %q: %w", fields[0], err)
		}
		minor, err := strconv.ParseUint(minStr, 10, 64)
		if err != nil {
			return cgroups.Blkio{}, fmt.Errorf("parse io.stat device %q: %w", fields[0], err)
		}
		for _, kv := range fields[1:] {
			key, val, ok := strings.Cut(kv, "=")
			if !ok {
				continue
			}
			var table *[]cgroups.BlkioEntry
			var op string
			switch key {
			case "rbytes":
				table, op = &b.IoServiceBytesRecursive, "Read"
			case "wbytes":
				table, op = &b.IoServiceBytesRecursive, "Write"
			case "rios":
				table, op = &b.IoServicedRecursive, "Read"
			case "wios":
				table, op = &b.IoServicedRecursive, "Write"
			default:
				continue
			}
			v, err := strconv.ParseUint(val, 10, 64)
			if err != nil {
				return cgroups.Blkio{}, fmt.Errorf("parse io.stat %q: %w", kv, err)
			}
			*table = append(*table, cgroups.BlkioEntry{Major: major, Minor: minor, Op: op, Value: v})
		}
	}
	return b, nil
}

func statIO(dir string, st *cgroups.Stats) error {
	data, err := readFile(dir, "io.stat")
	if err != nil {
		return err
	}
	b, err := parseIOStat(data)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, "io.stat"), err)
	}
	st.Blkio = b
	return nil
}
