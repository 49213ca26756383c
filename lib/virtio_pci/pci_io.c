/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Register access for the virtio-pci transport: one accessor call per
 * register, of the register's width, with the little-endian conversion
 * (4.1.3: "All fields are little-endian").
 *
 * 4.1.3.1: "The driver MUST access each field using the 'natural' access
 * method, i.e. 32-bit accesses for 32-bit fields, 16-bit accesses for
 * 16-bit fields and 8-bit accesses for 8-bit fields." Registers have side
 * effects (ISR clears on read, a notify is a write), so an access is never
 * split, merged or repeated here.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "pci_internal.h"

int vpci_fail(struct virtio_pci *vp, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vp->err, sizeof(vp->err), fmt, ap);
	va_end(ap);
	return rc;
}

int vpci_cfg_read8(const struct virtio_pci *vp, uint32_t off, uint8_t *v)
{
	return vp->access.cfg_read(vp->access.ctx, off, v, 1);
}

int vpci_cfg_read16(const struct virtio_pci *vp, uint32_t off, uint16_t *v)
{
	uint16_t le;
	int rc = vp->access.cfg_read(vp->access.ctx, off, &le, 2);

	if (rc == 0)
		*v = le16toh(le);
	return rc;
}

int vpci_cfg_read32(const struct virtio_pci *vp, uint32_t off, uint32_t *v)
{
	uint32_t le;
	int rc = vp->access.cfg_read(vp->access.ctx, off, &le, 4);

	if (rc == 0)
		*v = le32toh(le);
	return rc;
}

int vpci_read8(const struct virtio_pci *vp, unsigned int bar, uint64_t off, uint8_t *v)
{
	return vp->access.bar_read(vp->access.ctx, bar, off, v, 1);
}

int vpci_read16(const struct virtio_pci *vp, unsigned int bar, uint64_t off, uint16_t *v)
{
	uint16_t le;
	int rc = vp->access.bar_read(vp->access.ctx, bar, off, &le, 2);

	if (rc == 0)
		*v = le16toh(le);
	return rc;
}

int vpci_read32(const struct virtio_pci *vp, unsigned int bar, uint64_t off, uint32_t *v)
{
	uint32_t le;
	int rc = vp->access.bar_read(vp->access.ctx, bar, off, &le, 4);

	if (rc == 0)
		*v = le32toh(le);
	return rc;
}

int vpci_write8(const struct virtio_pci *vp, unsigned int bar, uint64_t off, uint8_t v)
{
	return vp->access.bar_write(vp->access.ctx, bar, off, &v, 1);
}

int vpci_write16(const struct virtio_pci *vp, unsigned int bar, uint64_t off, uint16_t v)
{
	uint16_t le = htole16(v);

	return vp->access.bar_write(vp->access.ctx, bar, off, &le, 2);
}

int vpci_write32(const struct virtio_pci *vp, unsigned int bar, uint64_t off, uint32_t v)
{
	uint32_t le = htole32(v);

	return vp->access.bar_write(vp->access.ctx, bar, off, &le, 4);
}

/*
 * 4.1.3.1: "For device configuration access, the driver MUST use 8-bit
 * wide accesses for 8-bit wide fields, 16-bit wide and aligned accesses
 * for 16-bit wide fields and 32-bit wide and aligned accesses for 32-bit
 * and 64-bit wide fields. For 64-bit fields, the driver MAY access each of
 * the high and low 32-bit parts of the field independently." The caller
 * asks for one field at a time; its length and alignment say its width.
 * Bytes move as they are: the configuration is little-endian and the
 * caller converts.
 */
int vpci_config_rw(const struct virtio_pci *vp, unsigned int bar, uint64_t off, void *buf,
		   uint32_t len, bool write)
{
	uint8_t *p = buf;
	uint32_t width, done;
	int rc = 0;

	if ((len == 1 || len == 2 || len == 4) && off % len == 0)
		width = len;
	else if (len == 8 && off % 4 == 0)
		width = 4;
	else
		width = 1;
	for (done = 0; done < len && rc == 0; done += width) {
		if (write)
			rc = vp->access.bar_write(vp->access.ctx, bar, off + done, p + done, width);
		else
			rc = vp->access.bar_read(vp->access.ctx, bar, off + done, p + done, width);
	}
	return rc;
}
