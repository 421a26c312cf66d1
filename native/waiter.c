// tvisor-waiter CODE: the host process an engine waits for when the container
// it created runs in a sandbox that is not its child (a container of a pod).
// Exits with the one byte the sandbox writes on fd 3 when the container's
// first process ends (the sandbox chooses it), or with CODE if the sandbox
// closes fd 3 without writing (it ended). A process of its own, not Node: a
// pod pays it once per container (docs/design.md, "Pods").
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
	unsigned char code;
	ssize_t n;

	if (argc != 2)
		return 125;
	do
		n = read(3, &code, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? code : atoi(argv[1]);
}
