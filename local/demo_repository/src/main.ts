document.querySelector("#app")!.textContent = "Hello from repository";
