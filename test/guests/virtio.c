/* virtio: a minimal virtio-blk driver against the virtio-mmio (version 2) transport at 0x10001000.
 * Runs with test/guests/virtio.img as the drive (16 sectors; byte i of sector s is (s * 31 + i) & 0xff;
 * scripts/build-guests.sh writes it): probes the transports, negotiates features, sets up a split
 * virtqueue, reads and writes sectors (chained and single buffers), flushes, asks for the id, sends
 * an unsupported and an out-of-range request, and checks the interrupt through the PLIC. */
#include "virt.h"

#define VIRTIO0 0x10001000UL
#define VIRTIO_STRIDE 0x1000UL
#define R(off) MMIO32(VIRTIO0 + (off))

#define MAGIC 0x000
#define VERSION 0x004
#define DEVICE_ID 0x008
#define VENDOR_ID 0x00c
#define DEVICE_FEATURES 0x010
#define DEVICE_FEATURES_SEL 0x014
#define DRIVER_FEATURES 0x020
#define DRIVER_FEATURES_SEL 0x024
#define QUEUE_SEL 0x030
#define QUEUE_NUM_MAX 0x034
#define QUEUE_NUM 0x038
#define QUEUE_READY 0x044
#define QUEUE_NOTIFY 0x050
#define INTERRUPT_STATUS 0x060
#define INTERRUPT_ACK 0x064
#define STATUS 0x070
#define QUEUE_DESC_LOW 0x080
#define QUEUE_DESC_HIGH 0x084
#define QUEUE_DRIVER_LOW 0x090
#define QUEUE_DRIVER_HIGH 0x094
#define QUEUE_DEVICE_LOW 0x0a0
#define QUEUE_DEVICE_HIGH 0x0a4
#define CONFIG 0x100

#define S_ACKNOWLEDGE 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8

#define F_BLK_SIZE (1u << 6)
#define F_FLUSH (1u << 9)
#define F_VERSION_1_HI 1u /* bit 32: bit 0 of the high word */

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8

#define DESC_NEXT 1
#define DESC_WRITE 2

#define NUM 8
#define SECTORS 16
#define VIRTIO_IRQ 1

struct desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
struct avail {
  uint16_t flags;
  uint16_t idx;
  uint16_t ring[NUM];
  uint16_t used_event;
};
struct used_elem {
  uint32_t id;
  uint32_t len;
};
struct used {
  uint16_t flags;
  uint16_t idx;
  struct used_elem ring[NUM];
  uint16_t avail_event;
};
struct req {
  uint32_t type;
  uint32_t reserved;
  uint64_t sector;
};

static struct desc desc[NUM] __attribute__((aligned(16)));
static struct avail avail __attribute__((aligned(2)));
static struct used used __attribute__((aligned(4)));
static struct req hdr;
static volatile uint8_t status;
static uint8_t buf[3 * 512];
static uint8_t idbuf[20];
static uint16_t last_used;

static uint8_t expected(unsigned sector, unsigned i) { return (uint8_t)(sector * 31 + i); }

/* Makes a chain available, notifies, waits for it in the used ring; returns the used length. */
static uint32_t run_chain(int n) {
  status = 0xff;
  avail.ring[avail.idx % NUM] = 0;
  __sync_synchronize();
  avail.idx++;
  __sync_synchronize();
  R(QUEUE_NOTIFY) = 0;
  while (*(volatile uint16_t *)&used.idx == last_used) {
  }
  __sync_synchronize();
  uint32_t len = used.ring[last_used % NUM].len;
  last_used++;
  (void)n;
  return len;
}

/* A request: header, then `len` bytes of `data` (device-writable for reads), then the status byte;
 * `split` puts the data in two descriptors. */
static uint32_t request(uint32_t type, uint64_t sector, void *data, uint32_t len, int split) {
  hdr.type = type;
  hdr.reserved = 0;
  hdr.sector = sector;
  int write = type != T_OUT;
  int n = 0;
  desc[n] = (struct desc){(uintptr_t)&hdr, sizeof hdr, DESC_NEXT, (uint16_t)(n + 1)};
  n++;
  if (len && split) {
    desc[n] = (struct desc){(uintptr_t)data, len / 2, (uint16_t)(DESC_NEXT | (write ? DESC_WRITE : 0)), (uint16_t)(n + 1)};
    n++;
    desc[n] = (struct desc){(uintptr_t)data + len / 2, len - len / 2, (uint16_t)(DESC_NEXT | (write ? DESC_WRITE : 0)), (uint16_t)(n + 1)};
    n++;
  } else if (len) {
    desc[n] = (struct desc){(uintptr_t)data, len, (uint16_t)(DESC_NEXT | (write ? DESC_WRITE : 0)), (uint16_t)(n + 1)};
    n++;
  }
  desc[n] = (struct desc){(uintptr_t)&status, 1, DESC_WRITE, 0};
  n++;
  return run_chain(n);
}

static int sector_ok(const uint8_t *p, unsigned sector) {
  for (unsigned i = 0; i < 512; i++)
    if (p[i] != expected(sector, i)) return 0;
  return 1;
}

int main(void) {
  puts("virtio: probing the virtio-mmio transports");
  check(1, "magic", R(MAGIC), 0x74726976);
  check(2, "version", R(VERSION), 2);
  check(3, "device id (block)", R(DEVICE_ID), 2);
  check(4, "vendor id", R(VENDOR_ID), 0x554d4551);
  unsigned empty = 0;
  for (unsigned i = 1; i < 8; i++) {
    uintptr_t t = VIRTIO0 + i * VIRTIO_STRIDE;
    if (MMIO32(t + MAGIC) == 0x74726976 && MMIO32(t + VERSION) == 2 && MMIO32(t + DEVICE_ID) == 0) empty++;
  }
  check(5, "empty transports 1..7", empty, 7);

  /* Reset, acknowledge, negotiate. */
  R(STATUS) = 0;
  check(6, "status after reset", R(STATUS), 0);
  R(STATUS) = S_ACKNOWLEDGE;
  R(STATUS) = S_ACKNOWLEDGE | S_DRIVER;
  R(DEVICE_FEATURES_SEL) = 0;
  uint32_t lo = R(DEVICE_FEATURES);
  R(DEVICE_FEATURES_SEL) = 1;
  uint32_t hi = R(DEVICE_FEATURES);
  check(7, "offers VERSION_1", hi & F_VERSION_1_HI, F_VERSION_1_HI);
  check(8, "offers FLUSH and BLK_SIZE", lo & (F_FLUSH | F_BLK_SIZE), F_FLUSH | F_BLK_SIZE);
  R(DRIVER_FEATURES_SEL) = 0;
  R(DRIVER_FEATURES) = F_FLUSH | F_BLK_SIZE;
  R(DRIVER_FEATURES_SEL) = 1;
  R(DRIVER_FEATURES) = F_VERSION_1_HI;
  R(STATUS) = S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK;
  check(9, "FEATURES_OK accepted", R(STATUS) & S_FEATURES_OK, S_FEATURES_OK);

  /* Configuration: capacity in sectors, block size. */
  uint64_t capacity = MMIO32(VIRTIO0 + CONFIG) | ((uint64_t)MMIO32(VIRTIO0 + CONFIG + 4) << 32);
  check(10, "capacity (sectors)", capacity, SECTORS);
  check(11, "blk_size", MMIO32(VIRTIO0 + CONFIG + 20), 512);

  /* Queue 0. */
  R(QUEUE_SEL) = 0;
  check(12, "queue 0 not ready yet", R(QUEUE_READY), 0);
  check_true(13, "queue num max >= 8", R(QUEUE_NUM_MAX) >= NUM);
  R(QUEUE_NUM) = NUM;
  R(QUEUE_DESC_LOW) = (uint32_t)(uintptr_t)desc;
  R(QUEUE_DESC_HIGH) = (uint32_t)((uint64_t)(uintptr_t)desc >> 32);
  R(QUEUE_DRIVER_LOW) = (uint32_t)(uintptr_t)&avail;
  R(QUEUE_DRIVER_HIGH) = (uint32_t)((uint64_t)(uintptr_t)&avail >> 32);
  R(QUEUE_DEVICE_LOW) = (uint32_t)(uintptr_t)&used;
  R(QUEUE_DEVICE_HIGH) = (uint32_t)((uint64_t)(uintptr_t)&used >> 32);
  R(QUEUE_READY) = 1;
  check(14, "queue 0 ready", R(QUEUE_READY), 1);
  R(STATUS) = S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK;

  /* The PLIC: source 1 (this transport) to hart 0's M-mode context, polled (interrupts stay off). */
  MMIO32(PLIC_BASE + 4 * VIRTIO_IRQ) = 1;
  MMIO32(PLIC_BASE + 0x2000) = 1u << VIRTIO_IRQ;
  MMIO32(PLIC_BASE + 0x200000) = 0;

  /* Read sector 3. */
  uint32_t len = request(T_IN, 3, buf, 512, 0);
  check(15, "read: status", status, 0);
  check(16, "read: used length", len, 513);
  check_true(17, "read: sector 3 content", sector_ok(buf, 3));
  check(18, "interrupt status", R(INTERRUPT_STATUS) & 1, 1);
  check(19, "PLIC claim: virtio source", MMIO32(PLIC_BASE + 0x200004), VIRTIO_IRQ);
  R(INTERRUPT_ACK) = R(INTERRUPT_STATUS) & 3;
  MMIO32(PLIC_BASE + 0x200004) = VIRTIO_IRQ;
  check(20, "interrupt status after ack", R(INTERRUPT_STATUS), 0);
  check(21, "PLIC claim after ack", MMIO32(PLIC_BASE + 0x200004), 0);

  /* Write sector 5 (data in two descriptors), read sectors 4..6 back in one request. */
  for (unsigned i = 0; i < 512; i++) buf[i] = (uint8_t)(0xa5 ^ i);
  len = request(T_OUT, 5, buf, 512, 1);
  check(22, "write: status", status, 0);
  check(23, "write: used length", len, 1);
  memset(buf, 0, sizeof buf);
  len = request(T_IN, 4, buf, 3 * 512, 1);
  check(24, "read back: status", status, 0);
  check(25, "read back: used length", len, 3 * 512 + 1);
  check_true(26, "read back: sector 4 untouched", sector_ok(buf, 4));
  int same = 1;
  for (unsigned i = 0; i < 512; i++) same &= buf[512 + i] == (uint8_t)(0xa5 ^ i);
  check_true(27, "read back: sector 5 written", same);
  check_true(28, "read back: sector 6 untouched", sector_ok(buf + 1024, 6));

  /* Flush, id, an unsupported type, out of range. */
  request(T_FLUSH, 0, 0, 0, 0);
  check(29, "flush: status", status, 0);
  memset(idbuf, 0x5a, sizeof idbuf);
  len = request(T_GET_ID, 0, idbuf, sizeof idbuf, 0);
  check(30, "get id: status", status, 0);
  check(31, "get id: used length", len, 21);
  check(32, "get id: (no serial) NUL", idbuf[0], 0);
  request(0x77, 0, 0, 0, 0);
  check(33, "unsupported: status UNSUPP", status, 2);
  request(T_IN, SECTORS - 1, buf, 1024, 0);
  check(34, "past the end: status IOERR", status, 1);
  request(T_IN, SECTORS - 1, buf, 512, 0);
  check(35, "last sector: status", status, 0);
  check_true(36, "last sector content", sector_ok(buf, SECTORS - 1));
  check(37, "used index", used.idx, 8);

  /* Reset: the queue is gone. */
  R(STATUS) = 0;
  check(38, "status after reset", R(STATUS), 0);
  check(39, "queue after reset", R(QUEUE_READY), 0);
  test_finish("virtio");
}
